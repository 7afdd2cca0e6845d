"""How every ``cairn`` drawing writes a value in a cell: numbers, times, durations, sizes, ids.

Full precision is always in ``--json``; these are for a person reading a terminal.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from rich.text import Text

MISSING = "—"
SHORT_ID = 8  # characters of a run id shown in tables
SHORT_DIGEST = 12  # characters of a dataset digest shown in tables
_STATUS_STYLES = {"FINISHED": "green", "FAILED": "red", "RUNNING": "yellow", "KILLED": "magenta"}


def fmt_number(value: Any) -> str:
    """Six significant digits for floats (full precision is in ``--json``)."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    return str(value)


def fmt_time(ms: int | None, seconds: bool = True) -> str:
    """Local time, to the second (or the minute); 0 is how stores say "not recorded"."""
    if not ms:
        return MISSING
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_duration(ms: int | None) -> str:
    if ms is None:
        return MISSING
    seconds = ms / 1000
    if seconds < 1:
        return f"{ms}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def fmt_bytes(size: int | None) -> str:
    if size is None:
        return MISSING
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def fmt_count(n: int, noun: str) -> str:
    """``1 file``, ``3 files``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def status_text(status: str) -> Text:
    return Text(status, style=_STATUS_STYLES.get(status, ""))


def fmt_rate(value: float | None) -> str:
    """A share from 0 to 1 as a percentage with one decimal: ``0.125`` → ``12.5%``."""
    return MISSING if value is None else f"{value:.1%}"
