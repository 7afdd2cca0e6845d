"""One run's metric series for a chart: the raw points of an x range, or per-bucket min, max and last.

The x axis is ``step`` or ``timestamp``. Buckets have equal integer width over the requested range
and are computed by the database: ``(x - start) / width`` is integer division on SQLite and
PostgreSQL alike, and window functions give each bucket's min and max value and its last point
(greatest x, then greatest step/timestamp), so a spike inside a bucket is never lost. NaN points
are left out: a chart cannot draw them and min/max would be meaningless with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, func, select

from .schema import latest_metrics, metrics

Tx = Connection
XAxis = Literal["step", "timestamp"]


@dataclass(frozen=True)
class Extent:
    """The x range a series covers within the asked bounds, and how many points lie there."""

    x_min: int
    x_max: int
    points: int


@dataclass(frozen=True)
class Bucket:
    x: int  # the x of the bucket's last point
    min: float
    max: float
    last: float


def series_id_of(conn: Tx, run_id: str, key: str) -> int | None:
    lm = latest_metrics.c
    found = conn.execute(select(lm.series_id).where(lm.run_id == run_id, lm.key == key)).scalar()
    return None if found is None else int(found)


def _columns(x_axis: XAxis):  # type: ignore[no-untyped-def]
    m = metrics.c
    return (m.step, m.timestamp) if x_axis == "step" else (m.timestamp, m.step)


def _in_range(series_id: int, x_axis: XAxis, start: int | None, end: int | None):  # type: ignore[no-untyped-def]
    x, _ = _columns(x_axis)
    conditions = [metrics.c.series_id == series_id, metrics.c.is_nan.is_(False)]
    if start is not None:
        conditions.append(x >= start)
    if end is not None:
        conditions.append(x <= end)
    return and_(*conditions)


def series_extent(conn: Tx, series_id: int, x_axis: XAxis, start: int | None, end: int | None) -> Extent | None:
    x, _ = _columns(x_axis)
    row = conn.execute(
        select(func.min(x), func.max(x), func.count()).where(_in_range(series_id, x_axis, start, end))
    ).one()
    return None if row[2] == 0 else Extent(int(row[0]), int(row[1]), int(row[2]))


def read_points(conn: Tx, series_id: int, x_axis: XAxis, start: int, end: int) -> list[tuple[int, float]]:
    """Every (x, value) in [start, end], by x."""
    x, other = _columns(x_axis)
    stmt = (select(x, metrics.c.value).where(_in_range(series_id, x_axis, start, end))
            .order_by(x, other, metrics.c.value))
    return [(int(px), float(value)) for px, value in conn.execute(stmt)]


def read_buckets(conn: Tx, series_id: int, x_axis: XAxis, start: int, end: int, width: int) -> list[Bucket]:
    """Per bucket of ``width`` x units from ``start``: min, max and the last point, by x."""
    x, other = _columns(x_axis)
    value = metrics.c.value
    bucket = ((x - start) // width).label("bucket")
    ranked = select(
        x.label("x"), value.label("value"), bucket,
        func.min(value).over(partition_by=bucket).label("low"),
        func.max(value).over(partition_by=bucket).label("high"),
        func.row_number().over(partition_by=bucket, order_by=(x.desc(), other.desc(), value.desc())).label("rank"),
    ).where(_in_range(series_id, x_axis, start, end)).subquery("ranked")
    r = ranked.c
    stmt = select(r.x, r.low, r.high, r.value).where(r.rank == 1).order_by(r.x)
    return [Bucket(int(px), float(low), float(high), float(last)) for px, low, high, last in conn.execute(stmt)]
