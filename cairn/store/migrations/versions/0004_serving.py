"""Serving: deployments (canary, shadow and A/B traffic per model), the prediction log and the
outcomes logged back against it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = 256
ID = 32


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("registered_model_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_time", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(NAME), nullable=False),
    )
    op.create_table(
        "predictions",
        sa.Column("prediction_id", sa.String(ID), primary_key=True),
        sa.Column("request_id", sa.String(ID), nullable=False),
        sa.Column("row_index", sa.Integer, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("model_name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("arm", sa.String(32), nullable=False),
        sa.Column("features", sa.Text, nullable=True),
        sa.Column("output", sa.Text, nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_predictions_model_time", "predictions", ["model_name", "timestamp"])
    op.create_index("ix_predictions_request", "predictions", ["request_id", "row_index"])
    op.create_table(
        "prediction_outcomes",
        sa.Column("prediction_id", sa.String(ID), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("recorded_by", sa.String(NAME), nullable=False),
    )


def downgrade() -> None:
    for table in ("prediction_outcomes", "predictions", "deployments"):
        op.drop_table(table)
