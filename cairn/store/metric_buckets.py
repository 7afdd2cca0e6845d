"""One run's metric series for a chart: the raw points of an x range, or per-bucket min, max and last.

The x axis is ``step`` or ``timestamp``. Buckets have equal integer width, counted from an origin
at or before the requested range and cut at its ends; each gives its min and max value and its last
point (greatest x, then greatest step/timestamp, then value), so a spike inside a bucket is never
lost. NaN points are left out: a chart cannot draw them and min/max would be meaningless with them.

By step, when the origin and width are whole multiples of the block width (``metric_blocks``),
each bucket is a run of whole stored blocks, grouped in SQL, and only the points of the blocks cut
at the two ends of the range are read one by one: a million-point series is about sixteen thousand
block rows, tens of milliseconds. Otherwise the points table, clustered on (series_id, step, ...), gives each bucket as
one index range: one aggregate and one "last point" lookup per bucket read every point once and
sort nothing (a million points in about a third of a second on SQLite; a single GROUP BY over them
sorts the whole series, and window functions over it took seconds). By timestamp there is no such
index (it would slow ingest, the hot path): one GROUP BY pass gives min, max and the last timestamp
per bucket, and one more pass finds the points at those timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import BigInteger, Connection, Select, and_, bindparam, func, select

from .metric_blocks import BLOCK_WIDTH, read_block_buckets
from .schema import latest_metrics, metrics

Tx = Connection
XAxis = Literal["step", "timestamp"]


@dataclass(frozen=True)
class Extent:
    """The x range a series covers within the asked bounds, and how many points lie there (counted
    up to the cap ``series_extent`` was given)."""

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


def series_extent(
    conn: Tx, series_id: int, x_axis: XAxis, start: int | None, end: int | None, cap: int
) -> Extent | None:
    """The x range of the points within the bounds, and their count up to ``cap`` (counting stops
    there: a caller only asks whether the range holds more than that)."""
    x, _ = _columns(x_axis)
    where = _in_range(series_id, x_axis, start, end)
    if x_axis == "step":
        first = conn.execute(select(x).where(where).order_by(x.asc()).limit(1)).scalar()
        if first is None:
            return None
        last = conn.execute(select(x).where(where).order_by(x.desc()).limit(1)).scalar()
    else:
        first, last = conn.execute(select(func.min(x), func.max(x)).where(where)).one()
        if first is None:
            return None
    points = conn.execute(select(func.count()).select_from(select(x).where(where).limit(cap).subquery())).scalar()
    return Extent(int(first), int(last), int(points or 0))


def read_points(conn: Tx, series_id: int, x_axis: XAxis, start: int, end: int) -> list[tuple[int, float]]:
    """Every (x, value) in [start, end], by x."""
    x, other = _columns(x_axis)
    stmt = (select(x, metrics.c.value).where(_in_range(series_id, x_axis, start, end))
            .order_by(x, other, metrics.c.value))
    return [(int(px), float(value)) for px, value in conn.execute(stmt)]


def read_buckets(
    conn: Tx, series_id: int, x_axis: XAxis, start: int, end: int, width: int, origin: int | None = None
) -> list[Bucket]:
    """Per bucket of ``width`` x units, counted from ``origin`` (``start`` by default, never after
    it) and cut to [start, end]: min, max and the last point, by x."""
    origin = start if origin is None else origin
    if x_axis == "timestamp":
        return _timestamp_buckets(conn, series_id, start, end, width, origin)
    if origin % BLOCK_WIDTH == 0 and width % BLOCK_WIDTH == 0:
        return _block_buckets(conn, series_id, start, end, width, origin)
    return _step_buckets(conn, series_id, start, end, width, origin)


_LOW, _HIGH = bindparam("low", type_=BigInteger()), bindparam("high", type_=BigInteger())


def _step_buckets(conn: Tx, series_id: int, start: int, end: int, width: int, origin: int) -> list[Bucket]:
    m = metrics.c
    in_bucket = and_(m.series_id == series_id, m.step >= _LOW, m.step <= _HIGH)
    finite = and_(in_bucket, m.is_nan.is_(False))
    # A NaN point is stored as 0 with is_nan set. Testing is_nan on every point costs a third of
    # the scan, and a stored 0 can only change a bucket's min or max when one of them is 0: only
    # those buckets are read again without the NaN points.
    rough = _Repeated(conn, select(func.min(m.value), func.max(m.value)).where(in_bucket))
    exact = _Repeated(conn, select(func.min(m.value), func.max(m.value)).where(finite))
    last = _Repeated(conn, select(m.step, m.value).where(finite)
                     .order_by(m.step.desc(), m.timestamp.desc(), m.value.desc()).limit(1))
    found = []
    for low in range(origin, end + 1, width):
        bounds = {"low": max(low, start), "high": min(low + width - 1, end)}
        least, most = rough.one(bounds)
        if least == 0.0 or most == 0.0:
            least, most = exact.one(bounds)
        if least is None:
            continue
        x, value = last.one(bounds)
        found.append(Bucket(int(x), float(least), float(most), float(value)))
    return found


# A bucket being summed up: min, max, and the last point's (step, timestamp, value).
_Partial = list[Any]


def _block_buckets(conn: Tx, series_id: int, start: int, end: int, width: int, origin: int) -> list[Bucket]:
    """Buckets made of whole blocks (bucket boundaries are block boundaries): the blocks inside
    [start, end] grouped, and the raw points of the block cut at each end folded into theirs."""
    w = BLOCK_WIDTH
    first, last = -(-start // w), (end + 1) // w - 1  # the whole blocks inside
    if first > last:  # not one whole block: fewer than two blocks' worth of points
        return _step_buckets(conn, series_id, start, end, width, origin)
    buckets: dict[int, _Partial] = {}

    def add(index: int, low: float, high: float, last: tuple[int, int, float]) -> None:
        b = buckets.get(index)
        if b is None:
            buckets[index] = [low, high, last]
            return
        b[0] = min(b[0], low)
        b[1] = max(b[1], high)
        b[2] = max(b[2], last)

    m = metrics.c
    for low, high in ((start, first * w - 1), ((last + 1) * w, end)):
        if low > high:
            continue
        stmt = select(m.step, m.timestamp, m.value).where(
            m.series_id == series_id, m.step >= low, m.step <= high, m.is_nan.is_(False))
        for step, timestamp, value in conn.execute(stmt):
            add((step - origin) // width, value, value, (int(step), int(timestamp), float(value)))
    for index, least, most, step, timestamp, value in read_block_buckets(conn, series_id, first, last, origin, width):
        add(int(index), least, most, (int(step), int(timestamp), float(value)))
    return [Bucket(int(b[2][0]), float(b[0]), float(b[1]), float(b[2][2])) for _, b in sorted(buckets.items())]


def _timestamp_buckets(conn: Tx, series_id: int, start: int, end: int, width: int, origin: int) -> list[Bucket]:
    m = metrics.c
    where = _in_range(series_id, "timestamp", start, end)
    bucket = ((m.timestamp - origin) // width).label("bucket")
    per_bucket = conn.execute(
        select(func.max(m.timestamp), func.min(m.value), func.max(m.value)).where(where).group_by(bucket)
    ).all()
    ends = sorted(int(row[0]) for row in per_bucket)
    last: dict[int, tuple[int, float]] = {}
    for i in range(0, len(ends), _IN_CHUNK):
        stmt = select(m.timestamp, m.step, m.value).where(where, m.timestamp.in_(ends[i : i + _IN_CHUNK]))
        for timestamp, step, value in conn.execute(stmt):
            best = last.get(timestamp)
            if best is None or (step, value) > best:
                last[timestamp] = (step, value)
    return sorted(
        (Bucket(int(x), float(low), float(high), float(last[int(x)][1])) for x, low, high in per_bucket),
        key=lambda b: b.x,
    )


_IN_CHUNK = 500  # timestamps per IN list (SQLite allows 32,766 bound values; PostgreSQL 65,535)


class _Repeated:
    """One SELECT run many times with different bounds. On SQLite it goes straight to the DB-API
    connection, compiled once: a chart's thousand buckets cost a thousand small queries, and
    SQLAlchemy's per-execution work would otherwise cost more than the queries."""

    def __init__(self, conn: Tx, stmt: Select[Any]) -> None:
        self.conn, self.stmt = conn, stmt
        self.raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        if self.raw is not None:
            compiled = stmt.compile(conn)
            self.sql = str(compiled)
            self.fixed = compiled.construct_params({"low": 0, "high": 0})
            self.names = list(compiled.positiontup or ())

    def one(self, bounds: dict[str, int]) -> tuple[Any, ...]:
        if self.raw is None:
            return tuple(self.conn.execute(self.stmt, bounds).one())
        params = {**self.fixed, **bounds}
        row: tuple[Any, ...] = self.raw.execute(self.sql, tuple(params[n] for n in self.names)).fetchone()
        return row
