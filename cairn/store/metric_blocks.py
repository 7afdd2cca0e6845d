"""Per-series summaries of metric points over fixed step blocks, kept current as points arrive.

A block of width W is the steps [n*W, n*W + W - 1] of one series (n is ``block``; floor division,
so negative steps have blocks too). Its row holds the min and max of the block's finite points
and its last point (greatest step, then timestamp, then value; MLflow's "latest" rule). A chart of
a long series reads its blocks instead of every point (``metric_buckets``), grouped into buckets
in SQL: a million points are about 16,000 blocks, folded in milliseconds.

Ingest (``add_points``) folds a batch into its blocks in Python and merges them into the stored
rows in one upsert: min of mins, max of maxes, the later of the two last points. Merging is
idempotent, so a point stored twice (a retried batch) changes nothing. NaN points are never
folded in: a chart leaves them out. Points are never updated, only deleted with their series
(``delete_series``), which takes its blocks along.

One width only (the table has room for more): each width costs ingest one more row per key per
batch (a batch of one step of 20 keys writes 20 block rows, about a tenth of its time; a second,
coarser width measured twice that), and grouping in SQL keeps even ten-million-point series
(160,000 blocks) quick to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select

from .dialect import Point
from .schema import metric_blocks

Tx = Connection

# Steps per block: the raw points a chart reads at each end of its range are fewer than this, and
# a million-step series is a million / BLOCK_WIDTH block rows.
BLOCK_WIDTH = 64

# (series_id, width, block, min, max, last step, last timestamp, last value)
BlockRow = tuple[int, int, int, float, float, int, int, float]

_COLUMNS = "series_id, width, block, min_value, max_value, last_step, last_timestamp, last_value"


def newer_sql(table: str, step: str = "step", timestamp: str = "timestamp", value: str = "value") -> str:
    """MLflow's rule for the latest point, in SQL for an upsert: the proposed row (``excluded``) is
    newer than the stored one in ``table`` when its step is larger, then its timestamp, then its
    value (a row-value comparison, in SQLite and PostgreSQL alike). The one spelling of the rule
    for every table that keeps a latest point: latest values, and each block's last point."""
    return (f"(excluded.{step}, excluded.{timestamp}, excluded.{value}) > "
            f"({table}.{step}, {table}.{timestamp}, {table}.{value})")


_NEWER = newer_sql("metric_blocks", "last_step", "last_timestamp", "last_value")


def _merge_sql(placeholder: str, least: str, greatest: str) -> str:
    return _merge(f"VALUES ({', '.join([placeholder] * 8)})", least, greatest)


def _merge(rows: str, least: str, greatest: str) -> str:
    pick = ", ".join(f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE metric_blocks.{c} END"
                     for c in ("last_step", "last_timestamp", "last_value"))
    return (f"INSERT INTO metric_blocks ({_COLUMNS}) {rows} "
            f"ON CONFLICT (series_id, width, block) DO UPDATE SET "
            f"min_value = {least}(metric_blocks.min_value, excluded.min_value), "
            f"max_value = {greatest}(metric_blocks.max_value, excluded.max_value), {pick}")


def merge_from(select_sql: str) -> str:
    """PostgreSQL's merge of the block rows a ``SELECT`` gives (columns as in ``BlockRow``)."""
    return _merge(select_sql, "LEAST", "GREATEST")


# SQLite's two-argument min()/max() are scalar; PostgreSQL spells them LEAST/GREATEST.
_MERGE = {"sqlite": _merge_sql("?", "min", "max"), "postgresql": _merge_sql("%s", "LEAST", "GREATEST")}


def fold(rows: Sequence[Point]) -> list[BlockRow]:
    """The block rows of a batch of points (its finite ones), in key order."""
    blocks: dict[tuple[int, int], list[Any]] = {}
    get = blocks.get
    for series_id, step, timestamp, value, is_nan in rows:
        if is_nan:
            continue
        key = (series_id, step // BLOCK_WIDTH)
        b = get(key)
        if b is None:
            blocks[key] = [value, value, step, timestamp, value]
            continue
        if value < b[0]:
            b[0] = value
        elif value > b[1]:
            b[1] = value
        if step > b[2] or (step == b[2] and (timestamp, value) > (b[3], b[4])):
            b[2], b[3], b[4] = step, timestamp, value
    # Sorted: PostgreSQL locks the rows in this order, so two batches never deadlock.
    return sorted((s, BLOCK_WIDTH, n, *b) for (s, n), b in blocks.items())  # type: ignore[misc]


def add_points(conn: Tx, rows: Sequence[Point]) -> None:
    """Fold stored points into their series' blocks (points already there change nothing)."""
    folded = fold(rows)
    if folded:
        conn.exec_driver_sql(_MERGE[conn.dialect.name], folded)  # type: ignore[arg-type]


def add_points_with(cursor: Any, dialect_name: str, rows: Sequence[Point]) -> None:
    """``add_points`` through a DB-API cursor of the transaction (a caller on the driver itself)."""
    folded = fold(rows)
    if folded:
        cursor.executemany(_MERGE[dialect_name], folded)


def read_block_buckets(
    conn: Tx, series_id: int, first: int, last: int, origin: int, bucket_width: int
) -> list[tuple[int, float, float, int, int, float]]:
    """The blocks numbered ``first`` to ``last``, folded into buckets of ``bucket_width`` steps
    from ``origin`` (both multiples of ``BLOCK_WIDTH``):
    (bucket number, min, max, last step, last timestamp, last value), by bucket. A bucket's last
    point is its last block's: blocks do not overlap. Grouped in SQL, which folds the ~16,000 blocks
    of a million-point series in a few milliseconds (handing them to Python costs ten times that)."""
    b, width = metric_blocks.c, BLOCK_WIDTH
    grouped = (
        select((((b.block * width) - origin) // bucket_width).label("bucket"), func.min(b.min_value).label("low"),
               func.max(b.max_value).label("high"), func.max(b.block).label("top"))
        .where(b.series_id == series_id, b.width == width, b.block >= first, b.block <= last)
        .group_by("bucket")
        .subquery("grouped")
    )
    g = grouped.c
    stmt = (
        select(g.bucket, g.low, g.high, b.last_step, b.last_timestamp, b.last_value)
        .join(metric_blocks, and_(b.series_id == series_id, b.width == width, b.block == g.top))
        .order_by(g.bucket)
    )
    return [tuple(row) for row in conn.execute(stmt)]  # type: ignore[misc]


def delete_series(conn: Tx, series_ids: Any) -> None:
    """Drop the blocks of the series ``series_ids`` (a list or a subquery), with their points."""
    conn.execute(delete(metric_blocks).where(metric_blocks.c.series_id.in_(series_ids)))
