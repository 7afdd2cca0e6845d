"""Per-series summaries of metric points over fixed step blocks, kept current as points arrive.

A block of width W is the steps [n*W, n*W + W - 1] of one series (n is ``block``; floor division,
so negative steps have blocks too). Its row holds the min and max of the block's finite points
and its last point (greatest step, then timestamp, then value; MLflow's "latest" rule). Every
width in ``BLOCK_WIDTHS`` is kept, each a multiple of the one before, so a chart of a long series
reads a few thousand block rows instead of every point (``metric_buckets``).

Ingest (``add_points``) folds a batch into its blocks in Python and merges them into the stored
rows in one upsert: min of mins, max of maxes, the later of the two last points. Merging is
idempotent, so a point stored twice (a retried batch) changes nothing. NaN points are never
folded in: a chart leaves them out. Points are never updated, only deleted with their series
(``delete_series``), which takes its blocks along.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select

from .dialect import Point
from .schema import metric_blocks

Tx = Connection

# Steps per block. The finest bounds the raw points a chart reads at each end of its range; each
# coarser one serves series too long for the finer to stay a few thousand rows per chart.
BLOCK_WIDTHS = (64, 4096)

# (series_id, width, block, min, max, last step, last timestamp, last value)
BlockRow = tuple[int, int, int, float, float, int, int, float]

_COLUMNS = "series_id, width, block, min_value, max_value, last_step, last_timestamp, last_value"
_NEWER = ("(excluded.last_step, excluded.last_timestamp, excluded.last_value) > "
          "(metric_blocks.last_step, metric_blocks.last_timestamp, metric_blocks.last_value)")


def _merge_sql(placeholder: str, least: str, greatest: str) -> str:
    values = ", ".join([placeholder] * 8)
    pick = ", ".join(f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE metric_blocks.{c} END"
                     for c in ("last_step", "last_timestamp", "last_value"))
    return (f"INSERT INTO metric_blocks ({_COLUMNS}) VALUES ({values}) "
            f"ON CONFLICT (series_id, width, block) DO UPDATE SET "
            f"min_value = {least}(metric_blocks.min_value, excluded.min_value), "
            f"max_value = {greatest}(metric_blocks.max_value, excluded.max_value), {pick}")


# SQLite's two-argument min()/max() are scalar; PostgreSQL spells them LEAST/GREATEST.
_MERGE = {"sqlite": _merge_sql("?", "min", "max"), "postgresql": _merge_sql("%s", "LEAST", "GREATEST")}


def fold(rows: Sequence[Point]) -> list[BlockRow]:
    """The block rows of a batch of points (its finite ones), in key order."""
    finest = BLOCK_WIDTHS[0]
    blocks: dict[tuple[int, int], list[Any]] = {}
    get = blocks.get
    for series_id, step, timestamp, value, is_nan in rows:
        if is_nan:
            continue
        key = (series_id, step // finest)
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
    folded: list[BlockRow] = [(s, finest, n, *b) for (s, n), b in blocks.items()]  # type: ignore[misc]
    level = folded
    for width in BLOCK_WIDTHS[1:]:
        level = _coarser(level, width)
        folded += level
    folded.sort(key=lambda r: r[:3])  # PostgreSQL locks rows in this order: no deadlock between batches
    return folded


def _coarser(rows: list[BlockRow], width: int) -> list[BlockRow]:
    merged: dict[tuple[int, int], BlockRow] = {}
    for row in rows:
        series_id, finer, block = row[:3]
        key = (series_id, block * finer // width)
        current = merged.get(key)
        merged[key] = (series_id, width, key[1], *row[3:]) if current is None else combine(current, row)  # type: ignore[assignment]
    return list(merged.values())


def combine(a: BlockRow, b: BlockRow) -> BlockRow:
    """``a`` with ``b`` folded in (a's key kept)."""
    last = a[5:] if a[5:] >= b[5:] else b[5:]
    return (a[0], a[1], a[2], min(a[3], b[3]), max(a[4], b[4]), *last)  # type: ignore[return-value]


def add_points(conn: Tx, rows: Sequence[Point]) -> None:
    """Fold stored points into their series' blocks (points already there change nothing)."""
    folded = fold(rows)
    if folded:
        conn.exec_driver_sql(_MERGE[conn.dialect.name], folded)  # type: ignore[arg-type]


def read_block_buckets(
    conn: Tx, series_id: int, width: int, first: int, last: int, origin: int, bucket_width: int
) -> list[tuple[int, float, float, int, int, float]]:
    """The blocks numbered ``first`` to ``last`` of one width, folded into buckets of
    ``bucket_width`` steps from ``origin`` (a multiple of ``width``, as ``bucket_width`` is):
    (bucket number, min, max, last step, last timestamp, last value), by bucket. A bucket's last
    point is its last block's: blocks do not overlap. Grouped in SQL, which folds the ~16,000 blocks
    of a million-point series in a few milliseconds (handing them to Python costs ten times that)."""
    b = metric_blocks.c
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
