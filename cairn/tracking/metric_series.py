"""A run's metric as a chart draws it: raw points when few, else per-bucket min, max and last.

``get_metric_series`` answers for an x range (the whole series by default; a zoomed chart asks for
the visible range): when at most ``buckets`` points lie in it they come back as they are, else the
range is cut into at most ``buckets`` equal-width buckets and each gives its min, max and last value
(``cairn.store.metric_buckets``), so a million-point series draws from a few thousand numbers and
no spike disappears.

By step, a bucket is widened by up to ``1/MAX_BUCKET_STRETCH`` so that buckets are made of the
whole step blocks the store keeps summarised (``cairn.store.metric_blocks``): they then start at a
multiple of the block width at or before ``start`` (the first is cut at ``start``), and the whole
range reads a few thousand block rows instead of every point. A chart cannot tell the difference: a
bucket is about a pixel wide either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from cairn.errors import InvalidParameter
from cairn.store import metric_buckets
from cairn.store.database import Database
from cairn.store.metric_blocks import BLOCK_WIDTH

from .runs import get_run
from .validation import validate_int64, validate_key

DEFAULT_CHART_BUCKETS = 1000
MAX_CHART_BUCKETS = 5000
X_AXES = ("step", "timestamp")
MAX_BUCKET_STRETCH = 4  # a step bucket may be up to a quarter wider than asked to fit whole blocks


@dataclass(frozen=True)
class MetricSeries:
    """Parallel lists, by x; in a raw series ``min == max == last`` for every point."""

    run_id: str
    key: str
    x_axis: str
    is_raw: bool
    start: int | None = None
    end: int | None = None
    x: list[int] = field(default_factory=list)
    min: list[float] = field(default_factory=list)
    max: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)


def get_metric_series(
    db: Database,
    run_id: str,
    key: str,
    x_axis: str = "step",
    start: int | None = None,
    end: int | None = None,
    buckets: int = DEFAULT_CHART_BUCKETS,
) -> MetricSeries:
    """The series of ``key`` in run ``run_id`` over x in [start, end] (inclusive; open ends are the
    series' own). Raises NotFound for an unknown run, InvalidParameter for a bad axis or range."""
    validate_key("metric", key)
    if x_axis not in X_AXES:
        raise InvalidParameter(f"x must be one of {', '.join(X_AXES)}, got '{x_axis}'.")
    if not 1 <= buckets <= MAX_CHART_BUCKETS:
        raise InvalidParameter(f"buckets must be between 1 and {MAX_CHART_BUCKETS}, got {buckets}.")
    for name, bound in (("start", start), ("end", end)):
        if bound is not None:
            validate_int64(name, bound)
    if start is not None and end is not None and start > end:
        raise InvalidParameter(f"start ({start}) must not be greater than end ({end}).")
    get_run(db, run_id)
    axis = cast(metric_buckets.XAxis, x_axis)
    with db.read() as tx:
        series_id = metric_buckets.series_id_of(tx, run_id, key)
        extent = None if series_id is None else metric_buckets.series_extent(
            tx, series_id, axis, start, end, cap=buckets + 1)
        if series_id is None or extent is None:
            return MetricSeries(run_id, key, x_axis, is_raw=True, start=start, end=end)
        low = extent.x_min if start is None else start
        high = extent.x_max if end is None else end
        if extent.points <= buckets:
            points = metric_buckets.read_points(tx, series_id, axis, extent.x_min, extent.x_max)
            values = [v for _, v in points]
            return MetricSeries(run_id, key, x_axis, True, low, high, [x for x, _ in points], values, values, values)
        origin, width = bucket_grid(axis, low, high, buckets)
        found = metric_buckets.read_buckets(tx, series_id, axis, low, high, width, origin)
    return MetricSeries(
        run_id, key, x_axis, False, low, high,
        [b.x for b in found], [b.min for b in found], [b.max for b in found], [b.last for b in found],
    )  # fmt: skip


def bucket_grid(x_axis: str, low: int, high: int, buckets: int) -> tuple[int, int]:
    """The first bucket's start (at or before ``low``) and the bucket width: at most ``buckets``
    buckets cover [low, high]; by step, made of whole blocks when that widens them little."""
    width = -(-(high - low + 1) // buckets)
    if x_axis != "step" or BLOCK_WIDTH * MAX_BUCKET_STRETCH > width:
        return low, width
    origin = low - low % BLOCK_WIDTH
    width = -(-(high - origin + 1) // buckets)
    return origin, -(-width // BLOCK_WIDTH) * BLOCK_WIDTH
