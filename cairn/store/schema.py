"""The metadata schema as SQLAlchemy Core tables.

Queries in ``store/`` are written against these objects; the database itself is created and
upgraded only by the Alembic migrations in ``store/migrations`` (this module must match them, and
``tests/store/test_migrations.py`` checks that it does).

Indexes are named after the query they serve.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Limits shared with tracking/validation.py (MLflow's limits).
KEY_LENGTH = 250
PARAM_VALUE_LENGTH = 6000
TAG_VALUE_LENGTH = 8000
NAME_LENGTH = 256
EXPERIMENT_NAME_LENGTH = 500

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

# One row per logged point. NaN is stored as value 0 with is_nan set, because SQLite turns NaN
# into NULL; +/-inf are stored as themselves (both SQLite and PostgreSQL keep them).
metrics = Table(
    "metrics",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    # Serves get-history (run, key ordered by step then timestamp).
    Index("ix_metrics_history", "run_id", "key", "step", "timestamp"),
)

# The latest point per (run, key): largest step, then timestamp, then value (MLflow's rule).
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    PrimaryKeyConstraint("run_id", "key", name="pk_latest_metrics"),
    # Serves `metrics.k > x` filters and `ORDER BY metrics.k` across runs.
    Index("ix_latest_metrics_key_value", "key", "value"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_id", String(32), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("source_type", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", Text, nullable=True),
    Column("profile", Text, nullable=True),
    UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_identity"),
    Index("ix_datasets_digest", "digest"),
)

# A run's use of a dataset. Input tags are kept as a JSON object; the context tag
# (mlflow.data.context: training, validation...) also has its own column so search can filter on it.
run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", String(32), nullable=False),
    Column("dataset_id", String(32), ForeignKey("datasets.dataset_id"), nullable=False),
    Column("context", String(64), nullable=True),
    Column("tags", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "dataset_id", name="pk_run_inputs"),
    Index("ix_run_inputs_dataset", "dataset_id"),
)
