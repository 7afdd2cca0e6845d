"""Times the SDK accepts: milliseconds since the epoch, or a ``datetime``."""

from __future__ import annotations

from datetime import datetime

from cairn.errors import InvalidParameter


def to_ms(at: int | datetime) -> int:
    """``at`` in milliseconds since the epoch; ``InvalidParameter`` for anything else."""
    if isinstance(at, datetime):
        return int(at.timestamp() * 1000)
    if isinstance(at, bool) or not isinstance(at, int):
        raise InvalidParameter(f"A time must be milliseconds since the epoch or a datetime, got {at!r}.")
    return at


def to_ms_or_none(at: int | datetime | None) -> int | None:
    return None if at is None else to_ms(at)
