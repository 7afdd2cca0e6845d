"""The model registry tables (migration 0003): models, versions, aliases, sign-off requests, the
append-only audit trail the production timeline is derived from, and outbound webhooks."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .base import KEY_LENGTH, NAME_LENGTH, metadata

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
    # (migration 0011) While a replaced Production version waits on standby: when it is archived.
    Column("standby_until", BigInteger, nullable=True),
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
    # Who exactly, when the server authenticated the actor (migration 0005): "user:7" or
    # "token:<id>", and how ("password" or "token").
    Column("actor_id", String(64), nullable=True),
    Column("actor_method", String(16), nullable=True),
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
