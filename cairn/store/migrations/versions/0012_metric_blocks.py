"""Metric blocks: per-series min, max and last point over fixed blocks of 64 steps, which a chart
reads instead of every point; filled here from the points already stored.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

WIDTH = 64  # the block width of this revision


# Every block of the points stored so far: min and max of its finite points and its last point
# (greatest step, timestamp, value). SQL's integer division truncates toward zero: the block is
# computed as floor(step / WIDTH) from a floored remainder, so negative steps fall in the right one.
_FILL = f"""
    INSERT INTO metric_blocks (series_id, width, block, min_value, max_value, last_step, last_timestamp, last_value)
    SELECT series_id, {WIDTH}, block, lo, hi, step, timestamp, value FROM (
        SELECT series_id, block, step, timestamp, value,
               MIN(value) OVER (PARTITION BY series_id, block) AS lo,
               MAX(value) OVER (PARTITION BY series_id, block) AS hi,
               ROW_NUMBER() OVER (PARTITION BY series_id, block
                                  ORDER BY step DESC, timestamp DESC, value DESC) AS place
        FROM (SELECT series_id, (step - ((step % {WIDTH}) + {WIDTH}) % {WIDTH}) / {WIDTH} AS block,
                     step, timestamp, value
              FROM metrics WHERE NOT is_nan) AS points
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
    op.execute(_FILL)


def downgrade() -> None:
    op.drop_table("metric_blocks")
