"""One-line unicode sparklines: a metric curve (or a histogram) drawn in a terminal row."""

from __future__ import annotations

import math
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"
GAP = " "  # a bucket holding only NaN or infinite values


def sparkline(values: Sequence[float]) -> str:
    """One character per value, from ``▁`` (lowest) to ``█`` (highest).

    A flat series draws at mid height; NaN and infinite values draw as a gap.

    >>> sparkline([0.0, 0.5, 1.0])
    '▁▅█'
    """
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return GAP * len(values)
    low, high = min(finite), max(finite)
    span = high - low
    top = len(BARS) - 1
    chars = []
    for value in values:
        if not math.isfinite(value):
            chars.append(GAP)
        elif span == 0:
            chars.append(BARS[top // 2])
        else:
            chars.append(BARS[round((value - low) / span * top)])
    return "".join(chars)
