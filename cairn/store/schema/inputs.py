"""What runs read (migration 0001): dataset records and each run's use of one (MLflow's
log-inputs), with its context."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .base import metadata

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
