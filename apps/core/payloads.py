"""Helpers shared by every app's payloads.py (the public shape of objects)."""

from datetime import datetime


def unix(dt: datetime | None) -> int | None:
    """A datetime as Stripe writes it on the wire: whole unix seconds."""
    return int(dt.timestamp()) if dt else None
