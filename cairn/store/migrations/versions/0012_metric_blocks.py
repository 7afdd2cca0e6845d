"""Metric blocks: per-series min, max and last point over fixed step blocks (widths 64 and 4096),
which a chart reads instead of every point; filled here from the points already stored.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

WIDTHS = (64, 4096)  # the block widths of this revision, each a multiple of the one before


def _floor_div(column: str, by: int) -> str:
    # Integer division in SQL truncates toward zero; a block is floor(step / width) for negative steps too.
    return f"(({column}) - ((({column}) % {by}) + {by}) % {by}) / {by}"


def _fill(width: int, source: str, block: str, step: str, timestamp: str, value: str, low: str, high: str,
          where: str) -> str:
    """One width's blocks from ``source`` rows: min and max over the block, and the last point
    (greatest step, timestamp, value), each source row contributing (low, high) and a last point."""
    return f"""
        INSERT INTO metric_blocks (series_id, width, block, min_value, max_value, last_step, last_timestamp, last_value)
        SELECT series_id, {width}, parent, lo, hi, s, t, v FROM (
            SELECT series_id, parent, s, t, v,
                   MIN(l) OVER (PARTITION BY series_id, parent) AS lo,
                   MAX(h) OVER (PARTITION BY series_id, parent) AS hi,
                   ROW_NUMBER() OVER (PARTITION BY series_id, parent ORDER BY s DESC, t DESC, v DESC) AS place
            FROM (SELECT series_id, {block} AS parent, {step} AS s, {timestamp} AS t, {value} AS v,
                         {low} AS l, {high} AS h
                  FROM {source} WHERE {where}) AS source_rows
        ) AS ranked WHERE place = 1
    """


def upgrade() -> None:
    op.create_table(
        "metric_blocks",
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("min_value", sa.Float(precision=53), nullable=False),
        sa.Column("max_value", sa.Float(precision=53), nullable=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("last_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_value", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "width", "block", name="pk_metric_blocks"),
        sqlite_with_rowid=False,
    )
    finest = WIDTHS[0]
    op.execute(_fill(finest, "metrics", _floor_div("step", finest), "step", "timestamp", "value", "value", "value",
                     "NOT is_nan"))
    for finer, width in zip(WIDTHS, WIDTHS[1:]):
        op.execute(_fill(width, "metric_blocks", _floor_div("block", width // finer), "last_step", "last_timestamp",
                         "last_value", "min_value", "max_value", f"width = {finer}"))


def downgrade() -> None:
    op.drop_table("metric_blocks")
