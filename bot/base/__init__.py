"""What every layer of bot/ shares, without Telegram: settings, the clock, Telegram-HTML checks."""
