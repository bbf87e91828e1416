"""The Telegram shell: wiring, handlers, rendering, HTTP, serving (the only telegram imports)."""
