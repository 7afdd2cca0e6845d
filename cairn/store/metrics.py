"""Metric points: bulk insert with the latest-value table kept current, and history reads.

Ingest is the hottest path in Cairn. Per batch: one upsert of the latest value per distinct key
(which also creates the series and returns the series ids), then the points as plain tuples
through ``dialect.insert_points`` (SQLite's ``executemany``, PostgreSQL's COPY; no per-row
SQLAlchemy processing), then one merge of their step blocks (``metric_blocks``, what a chart
reads). Keys are upserted in sorted order, so two batches writing the same keys of one run lock
their rows in the same order and never deadlock (PostgreSQL).

A single log-metric (one point) checks its run in the latest-value upsert instead of a query of
its own, and on PostgreSQL writes the latest value, the point and its block in one statement
(``_POSTGRES_ONE_POINT``): every statement there is a round trip, most of such a call's time. On
SQLite the same three writes go through the driver's cursor (``_insert_one_point_sqlite``).
``tests/tracking/test_metric_blocks.py`` checks that both paths store exactly the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from sqlalchemy import Boolean, ColumnElement, Connection, bindparam, exists, literal_column, select

from cairn.entities import LifecycleStage, Metric

from . import dialect, metric_blocks
from .schema import latest_metrics, metrics, runs

Tx = Connection

def insert_metrics(conn: Tx, run_id: str, points: Sequence[Metric]) -> None:
    """Store ``points`` of the run ``run_id`` (the caller checked that it takes writes)."""
    _insert(conn, run_id, points, guarded=False)


def insert_metrics_if_active(conn: Tx, run_id: str, points: Sequence[Metric]) -> bool:
    """Store ``points`` when they are all of one key and the run is active, checking the run in
    the statement that writes the key's latest value (one query less for a single log-metric).
    False when nothing was written: the run is missing or not active, or the points span
    several keys (the caller checks the run and calls ``insert_metrics``)."""
    if len({point.key for point in points}) != 1:
        return False
    if len(points) == 1:
        if conn.dialect.name == "postgresql":
            return _insert_one_point_postgres(conn, run_id, points[0])
        return _insert_one_point_sqlite(conn, run_id, points[0])
    return _insert(conn, run_id, points, guarded=True)


_NEWER = metric_blocks.newer_sql("latest_metrics")
# The SET of a latest-value upsert that keeps whichever of the stored and the proposed point is newer.
_KEEP_NEWER = ", ".join(f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE latest_metrics.{c} END"
                        for c in ("step", "timestamp", "value", "is_nan"))

# One point, one statement (one round trip, where the general path takes three): the latest value
# (only if the run is active), the point, and its block, in data-modifying CTEs that all read the
# series id the first returns. A NaN point is stored but not folded into its block.
_POSTGRES_ONE_POINT = f"""
WITH latest AS (
    INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
    SELECT %(run_id)s::varchar, %(key)s::varchar, %(step)s::bigint, %(timestamp)s::bigint, %(value)s::float8, %(is_nan)s::boolean
    WHERE EXISTS (SELECT 1 FROM runs WHERE runs.run_id = %(run_id)s::varchar AND runs.lifecycle_stage = %(active)s::varchar)
    ON CONFLICT (run_id, key) DO UPDATE SET {_KEEP_NEWER}
    RETURNING series_id
), point AS (
    INSERT INTO metrics (series_id, step, timestamp, value, is_nan)
    SELECT series_id, %(step)s::bigint, %(timestamp)s::bigint, %(value)s::float8, %(is_nan)s::boolean FROM latest
    ON CONFLICT DO NOTHING
), block AS (
    {metric_blocks.merge_from("SELECT series_id, %(width)s::int, %(block)s::bigint, %(value)s::float8, "
                              "%(value)s::float8, %(step)s::bigint, %(timestamp)s::bigint, %(value)s::float8 "
                              "FROM latest WHERE NOT %(is_nan)s::boolean")}
)
SELECT count(*) FROM latest
"""


def _as_stored(value: float) -> tuple[float, bool]:
    """A point's value as the store keeps it: NaN as 0.0 with ``is_nan`` set (NaN breaks the
    ordering and the min/max the tables rely on). The batch path inlines the same rule per point."""
    return (0.0, True) if value != value else (value, False)


def _insert_one_point_postgres(conn: Tx, run_id: str, point: Metric) -> bool:
    value, is_nan = _as_stored(point.value)
    params = {
        "run_id": run_id, "key": point.key, "step": point.step, "timestamp": point.timestamp,
        "value": value, "is_nan": is_nan, "active": LifecycleStage.ACTIVE.value,
        "width": metric_blocks.BLOCK_WIDTH, "block": point.step // metric_blocks.BLOCK_WIDTH,
    }  # fmt: skip
    return bool(conn.exec_driver_sql(_POSTGRES_ONE_POINT, params).scalar_one())


# SQLite has no data-modifying CTEs: the same three writes as statements of their own, sent
# through the driver's cursor. Each statement through SQLAlchemy's execution layer cost ~40 µs of
# Python, more than SQLite takes to run it, and a log-metric is mostly these three.
_SQLITE_LATEST = f"""
INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
SELECT ?, ?, ?, ?, ?, ?
WHERE EXISTS (SELECT 1 FROM runs WHERE runs.run_id = ? AND runs.lifecycle_stage = ?)
ON CONFLICT (run_id, key) DO UPDATE SET {_KEEP_NEWER}
RETURNING series_id
"""


def _insert_one_point_sqlite(conn: Tx, run_id: str, point: Metric) -> bool:
    key, _, timestamp, step = point
    value, is_nan = _as_stored(point.value)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        found = cursor.execute(_SQLITE_LATEST, (run_id, key, step, timestamp, value, is_nan, run_id,
                                                LifecycleStage.ACTIVE.value)).fetchone()
        if found is None:
            return False  # the run is missing or not active: nothing written
        row = (found[0], step, timestamp, value, is_nan)
        cursor.execute(dialect.SQLITE_INSERT_POINTS, row)
        metric_blocks.add_points_with(cursor, "sqlite", [row])
        return True
    except BaseException as exc:
        dialect.raise_as_sqlalchemy(_SQLITE_LATEST, exc)
        raise
    finally:
        cursor.close()


def _run_is_active() -> ColumnElement[bool]:
    r = runs.c
    return exists().where(r.run_id == bindparam("run_id"), r.lifecycle_stage == LifecycleStage.ACTIVE.value)


def _insert(conn: Tx, run_id: str, points: Sequence[Metric], *, guarded: bool) -> bool:
    if not points:
        return True
    latest: dict[str, tuple[int, int, float, bool]] = {}
    get = latest.get
    for key, value, timestamp, step in points:
        is_nan = value != value
        if is_nan:
            value = 0.0
        current = get(key)
        if current is None or (step, timestamp, value) > current[:3]:
            latest[key] = (step, timestamp, value, is_nan)
    series = dict(dialect.upsert_returning(
        conn,
        latest_metrics,
        [
            {"run_id": run_id, "key": k, "step": s, "timestamp": t, "value": v, "is_nan": n}
            for k, (s, t, v, n) in sorted(latest.items())
        ],
        key_columns=("run_id", "key"),
        update_columns=("step", "timestamp", "value", "is_nan"),
        only_if=_is_newer_clause,
        returning=("key", "series_id"),
        guard=_run_is_active if guarded else None,
    ))  # fmt: skip
    if not series:
        return False  # the guard failed: nothing written
    rows = [
        (series[key], step, timestamp, 0.0 if value != value else value, value != value)
        for key, value, timestamp, step in points
    ]
    dialect.insert_points(conn, rows)
    metric_blocks.add_points(conn, rows)
    return True


def _is_newer_clause(excluded, table):  # type: ignore[no-untyped-def]
    return literal_column(metric_blocks.newer_sql(table.name), Boolean)


def iter_history(
    conn: Tx, run_id: str, key: str, chunk_size: int | None, limit: int | None = None, offset: int = 0
) -> Iterator[list[Metric]]:
    """The same points in chunks of ``chunk_size`` (all at once for None), read from one cursor."""
    nan = math.nan
    for rows in iter_history_rows(conn, run_id, key, chunk_size, limit, offset):
        yield [Metric(key, nan if is_nan else value, timestamp, step) for step, timestamp, value, is_nan in rows]


HistoryRow = tuple[int, int, float, bool]  # step, timestamp, value (0.0 when NaN), is_nan


def iter_history_rows(
    conn: Tx, run_id: str, key: str, chunk_size: int | None, limit: int | None = None, offset: int = 0
) -> Iterator[list[HistoryRow]]:
    """The points as the cursor gives them, ``(step, timestamp, value, is_nan)``, in chunks: for a
    caller that writes them straight out (a 100k-point answer), with no object per point."""
    lm = latest_metrics.c
    series_id = conn.execute(
        select(lm.series_id).where(lm.run_id == run_id, lm.key == key)
    ).scalar_one_or_none()
    if series_id is None:
        return
    m = metrics.c
    stmt = (
        select(m.step, m.timestamp, m.value, m.is_nan)
        .where(m.series_id == series_id)
        .order_by(m.step, m.timestamp, m.value)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    yield from dialect.stream_rows(conn, stmt, chunk_size)
