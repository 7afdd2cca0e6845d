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
    ForeignKeyConstraint,
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
# into NULL; +/-inf are stored as themselves (both SQLite and PostgreSQL keep them). The primary
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

# --- model registry ---
# (migration 0003) Models, versions, aliases, sign-off requests, the append-only audit trail the
# production timeline is derived from, and outbound webhooks.

# A model's versions hang off the surrogate key, not the name, so a rename touches one row and
# the audit trail (which outlives deletions) keeps pointing at the same model.
registered_models = Table(
    "registered_models",
    metadata,
    Column("registered_model_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text, nullable=True),
    # Highest version number ever given: numbers are never reused, even after a deletion.
    Column("last_version", Integer, nullable=False),
    Column("policy", Text, nullable=True),
    UniqueConstraint("name", name="uq_registered_models_name"),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("registered_model_id", Integer, ForeignKey("registered_models.registered_model_id"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("registered_model_id", "key", name="pk_registered_model_tags"),
)

# The primary key (model, version) is what keeps version numbers unique under concurrent creates.
model_versions = Table(
    "model_versions",
    metadata,
    Column("registered_model_id", Integer, ForeignKey("registered_models.registered_model_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("user_id", String(NAME_LENGTH), nullable=False),
    Column("current_stage", String(20), nullable=False),
    Column("source", String(1000), nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("run_link", String(1000), nullable=True),
    Column("model_id", String(64), nullable=True),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("artifacts_retained_until", BigInteger, nullable=True),
    # (migration 0005) The source stays as the client gave it; where its files are sits beside it.
    Column("storage_location", String(1000), nullable=True),
    Column("files_location", String(1000), nullable=True),
    PrimaryKeyConstraint("registered_model_id", "version", name="pk_model_versions"),
    # Serves search_model_versions by run.
    Index("ix_model_versions_run", "run_id"),
)

# At most one Production version per model, enforced by the database as well as the domain.
_IS_PRODUCTION = model_versions.c.current_stage == "Production"
Index("uq_model_versions_one_production", model_versions.c.registered_model_id, unique=True,
      sqlite_where=_IS_PRODUCTION, postgresql_where=_IS_PRODUCTION)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("registered_model_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("registered_model_id", "version", "key", name="pk_model_version_tags"),
    ForeignKeyConstraint(["registered_model_id", "version"], ["model_versions.registered_model_id",
                         "model_versions.version"], name="fk_model_version_tags_version"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("registered_model_id", Integer, nullable=False),
    Column("alias", String(NAME_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("registered_model_id", "alias", name="pk_model_aliases"),
    ForeignKeyConstraint(["registered_model_id", "version"], ["model_versions.registered_model_id",
                         "model_versions.version"], name="fk_model_aliases_version"),
)

transition_requests = Table(
    "transition_requests",
    metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=True),
    Column("registered_model_id", Integer, ForeignKey("registered_models.registered_model_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_stage", String(20), nullable=False),
    Column("to_stage", String(20), nullable=False),
    Column("requested_by", String(NAME_LENGTH), nullable=False),
    Column("requested_by_verified", Boolean, nullable=False),
    Column("requested_time", BigInteger, nullable=False),
    Column("reason", Text, nullable=True),
    Column("archive_existing_versions", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", String(NAME_LENGTH), nullable=True),
    Column("decided_time", BigInteger, nullable=True),
    Column("decision_comment", Text, nullable=True),
    Column("gate_results", Text, nullable=False),
    # Serves the pending-requests list of a model and the one-pending-per-version check.
    Index("ix_transition_requests_model_status", "registered_model_id", "status", "version"),
)

# Append-only: rows are inserted, never updated or deleted (triggers in migration 0003 refuse
# both). No foreign key: a model's trail outlives the model.
audit_events = Table(
    "audit_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("registered_model_id", Integer, nullable=False),
    Column("model_name", String(NAME_LENGTH), nullable=False),
    Column("version", Integer, nullable=True),
    Column("action", String(32), nullable=False),
    Column("from_value", String(NAME_LENGTH), nullable=True),
    Column("to_value", String(NAME_LENGTH), nullable=True),
    Column("alias", String(NAME_LENGTH), nullable=True),
    Column("actor", String(NAME_LENGTH), nullable=False),
    Column("actor_verified", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("reason", Text, nullable=True),
    Column("gate_results", Text, nullable=True),
    Column("details", Text, nullable=True),
    # Serves a model's trail in order (audit, timeline, rollback).
    Index("ix_audit_events_model", "registered_model_id", "event_id"),
    # Serves the trail of a deleted model, looked up by its last name.
    Index("ix_audit_events_model_name", "model_name", "event_id"),
)

# Server-wide registry settings, e.g. the default promotion policy (JSON values).
registry_settings = Table(
    "registry_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_time", BigInteger, nullable=False),
    Column("updated_by", String(NAME_LENGTH), nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", String(32), primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("events", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("allow_private", Boolean, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
)

# The outbox and delivery log in one: a row is written in the transaction of the registry change
# it announces, then sent (and retried) by a delivery worker.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String(32), ForeignKey("webhooks.webhook_id"), nullable=False),
    Column("event", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_time", BigInteger, nullable=False),
    Column("last_attempt_time", BigInteger, nullable=True),
    Column("next_attempt_time", BigInteger, nullable=True),
    Column("claimed_until", BigInteger, nullable=True),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    # Serves the worker's "what is due now" scan.
    Index("ix_webhook_deliveries_due", "status", "next_attempt_time"),
    # Serves a webhook's delivery log, newest first.
    Index("ix_webhook_deliveries_webhook", "webhook_id", "delivery_id"),
)

# Deployments and the prediction log live in their own module on this same ``metadata``.
from cairn.store.schema_serving import deployments, prediction_outcomes, predictions  # noqa: E402, F401
