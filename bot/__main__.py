"""`python -m bot`: the same as the `mooc-bot` command."""

from bot.cli.main import main

raise SystemExit(main())
