"""Metric curves for the terminal: a history downsampled to the width it will be drawn at
(``render.sparklines`` draws it).

A curve is bucketed by point index (not by step value), so points logged without a step, or many
points at one step, still draw in the order they were logged. Each bucket shows the mean of its
finite values; the true minimum, maximum and last value are printed beside the chart, so
averaging never hides an extreme.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def downsample(values: Sequence[float], width: int) -> list[float]:
    """At most ``width`` values: the mean of each equal run of consecutive points.

    Buckets with no finite value become NaN. Fewer points than ``width`` are returned unchanged.

    >>> downsample([1.0, 3.0, 5.0, 7.0], 2)
    [2.0, 6.0]
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    count = len(values)
    if count <= width:
        return [float(v) for v in values]
    buckets: list[float] = []
    for i in range(width):
        start, stop = i * count // width, (i + 1) * count // width
        finite = [v for v in values[start:stop] if math.isfinite(v)]
        buckets.append(math.fsum(finite) / len(finite) if finite else math.nan)
    return buckets


def curve_summary(steps: Sequence[int], values: Sequence[float], width: int) -> dict[str, object]:
    """Facts about one metric's history, and its curve downsampled to ``width`` points.

    ``min`` and ``max`` ignore NaN and infinite values (None when there is no finite value).
    """
    finite = [v for v in values if math.isfinite(v)]
    return {
        "points": len(values),
        "first_step": steps[0] if steps else None,
        "last_step": steps[-1] if steps else None,
        "min": min(finite) if finite else None,
        "max": max(finite) if finite else None,
        "curve": downsample(values, width) if values else [],
    }
