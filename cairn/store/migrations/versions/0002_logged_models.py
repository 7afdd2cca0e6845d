"""MLflow 3 logged models: models, their tags, params and metrics, and their links to runs.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = 250
MODEL_ID = 64


def _model_id_column() -> sa.Column:
    return sa.Column("model_id", sa.String(MODEL_ID), sa.ForeignKey("logged_models.model_id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(MODEL_ID), primary_key=True),
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.experiment_id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_logged_models_experiment_name", "logged_models", ["experiment_id", "name"])
    op.create_table(
        "logged_model_tags",
        _model_id_column(),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "key", name="pk_logged_model_tags"),
    )
    op.create_table(
        "logged_model_params",
        _model_id_column(),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "key", name="pk_logged_model_params"),
    )
    op.create_table(
        "logged_model_metrics",
        _model_id_column(),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("dataset_name", sa.String(500), nullable=True),
        sa.Column("dataset_digest", sa.String(64), nullable=True),
    )
    op.create_index("ix_logged_model_metrics_model_key", "logged_model_metrics", ["model_id", "key"])
    op.create_table(
        "run_logged_models",
        sa.Column("run_id", sa.String(32), nullable=False),
        _model_id_column(),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "model_id", "direction", name="pk_run_logged_models"),
    )


def downgrade() -> None:
    for table in ("run_logged_models", "logged_model_metrics", "logged_model_params", "logged_model_tags",
                  "logged_models"):
        op.drop_table(table)
