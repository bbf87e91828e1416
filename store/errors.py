"""The store's own errors: what a caller may catch, whatever database is behind it."""

from __future__ import annotations

__all__ = ["NotAllowed", "NotSaved", "StoreError"]


class StoreError(Exception):
    """The database cannot be used as asked; the message says why."""


class NotSaved(StoreError):
    """The database would not do it just now (locked past the busy timeout, a full disk,
    an I/O error): nothing of that write was kept, and trying later may well work."""


class NotAllowed(StoreError):
    """A write broke one of the schema's rules (a unique key, a foreign key, a trigger's
    refusal): trying again changes nothing."""
