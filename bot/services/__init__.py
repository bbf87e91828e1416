"""The application services, with no telegram import: registration, reminders, drips, the outbox."""
