"""The tracking tables (migrations 0001 and 0002): experiments, runs, params, tags, metric points
with the latest value per series, and MLflow 3 logged models with what runs used and produced."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .base import EXPERIMENT_NAME_LENGTH, KEY_LENGTH, NAME_LENGTH, metadata

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(EXPERIMENT_NAME_LENGTH), nullable=False),
    Column("artifact_location", String(1000), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    UniqueConstraint("name", name="uq_experiments_name"),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("user_id", String(NAME_LENGTH), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("deleted_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("artifact_uri", String(1000), nullable=False),
    # Serves search's default order within an experiment and the lifecycle filter.
    Index("ix_runs_experiment_start", "experiment_id", "lifecycle_stage", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "key", name="pk_params"),
    # Serves `params.k = 'v'` filters across runs.
    Index("ix_params_key_value", "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "key", name="pk_tags"),
    Index("ix_tags_key_value", "key", "value"),
)

# The latest point per (run, key): largest step, then timestamp, then value (MLflow's rule).
# Each row also names the series: metric points refer to it by the integer ``series_id``, which
# keeps the points table and its clustered key small (ingest speed) without repeating run id and key.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    # Serves loading a run's metrics and the per-key EXISTS of search filters.
    UniqueConstraint("run_id", "key", name="uq_latest_metrics_run_key"),
    # Serves `metrics.k > x` filters and `ORDER BY metrics.k` across runs.
    Index("ix_latest_metrics_key_value", "key", "value"),
)

# One row per logged point. NaN is stored as value 0 with is_nan set, because SQLite turns NaN
# into NULL; +/-inf are stored as themselves (both SQLite and PostgreSQL keep them), where MLflow's
# SQL store clamps them to +/-1.7976931348623157e308, so a diverged loss reads back as inf. The primary
# key is MLflow's (an identical point logged twice is stored once) and, on SQLite, the table is
# clustered on it (WITHOUT ROWID), so a history read is one range scan in step order.
metrics = Table(
    "metrics",
    metadata,
    Column("series_id", Integer, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    PrimaryKeyConstraint("series_id", "step", "timestamp", "value", "is_nan", name="pk_metrics"),
    sqlite_with_rowid=False,
)


# Per-series summaries of the points over fixed step blocks (migration 0012; ``metric_blocks``):
# block ``block`` of width ``width`` covers steps [block * width, block * width + width - 1] and
# holds the min, max and last point (greatest step, timestamp, value) of its finite points, so a
# chart of a million points reads thousands of rows. Clustered on the key like ``metrics``.
metric_blocks = Table(
    "metric_blocks",
    metadata,
    Column("series_id", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("min_value", Float(precision=53), nullable=False),
    Column("max_value", Float(precision=53), nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("last_timestamp", BigInteger, nullable=False),
    Column("last_value", Float(precision=53), nullable=False),
    PrimaryKeyConstraint("series_id", "width", "block", name="pk_metric_blocks"),
    sqlite_with_rowid=False,
)

# MLflow 3 logged models (migration 0002): a model package logged from a run (or on its own),
# with its artifacts under "<experiment>/models/<model_id>/artifacts" in the artifact store.
logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("artifact_location", String(1000), nullable=False),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("model_type", String(500), nullable=True),
    Column("source_run_id", String(32), nullable=True),
    # Serves the mlflow client's lookup of "runs:/<run>/<name>": models by experiment and name.
    Index("ix_logged_models_experiment_name", "experiment_id", "name"),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column("model_id", String(64), ForeignKey("logged_models.model_id"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model_id", "key", name="pk_logged_model_tags"),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column("model_id", String(64), ForeignKey("logged_models.model_id"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model_id", "key", name="pk_logged_model_params"),
)

# Metric points linked to a model (log-batch metrics carrying a model_id), NaN kept as in metrics.
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("model_id", String(64), ForeignKey("logged_models.model_id"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("dataset_name", String(500), nullable=True),
    Column("dataset_digest", String(64), nullable=True),
    # Serves loading a model's metrics and `metrics.k > x` model filters.
    Index("ix_logged_model_metrics_model_key", "model_id", "key"),
)

# Which models a run used (direction 'input', log-inputs) or produced ('output', log-outputs).
run_logged_models = Table(
    "run_logged_models",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("model_id", String(64), ForeignKey("logged_models.model_id"), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "model_id", "direction", name="pk_run_logged_models"),
)
