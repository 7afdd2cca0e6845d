"""Model registry: registered models, versions, tags, aliases, sign-off requests, the audit trail,
registry settings and webhooks with their delivery log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = 250
NAME = 256
MODEL_FK = "registered_models.registered_model_id"
VERSION_COLUMNS = ["model_versions.registered_model_id", "model_versions.version"]

# The audit trail is append-only below the API too: the database refuses to change or remove it.
_SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'restrict_violation'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("registered_model_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("last_version", sa.Integer, nullable=False),
        sa.Column("policy", sa.Text, nullable=True),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("registered_model_id", sa.Integer, sa.ForeignKey(MODEL_FK), nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("registered_model_id", "key", name="pk_registered_model_tags"),
    )
    op.create_table(
        "model_versions",
        sa.Column("registered_model_id", sa.Integer, sa.ForeignKey(MODEL_FK), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("user_id", sa.String(NAME), nullable=False),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("run_link", sa.String(1000), nullable=True),
        sa.Column("model_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("artifacts_retained_until", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("registered_model_id", "version", name="pk_model_versions"),
    )
    op.create_index("ix_model_versions_run", "model_versions", ["run_id"])
    op.create_index(
        "uq_model_versions_one_production", "model_versions", ["registered_model_id"], unique=True,
        sqlite_where=sa.text("current_stage = 'Production'"),
        postgresql_where=sa.text("current_stage = 'Production'"),
    )
    op.create_table(
        "model_version_tags",
        sa.Column("registered_model_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", sa.String(KEY), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("registered_model_id", "version", "key", name="pk_model_version_tags"),
        sa.ForeignKeyConstraint(["registered_model_id", "version"], VERSION_COLUMNS,
                                name="fk_model_version_tags_version"),
    )
    op.create_table(
        "model_aliases",
        sa.Column("registered_model_id", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(NAME), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("registered_model_id", "alias", name="pk_model_aliases"),
        sa.ForeignKeyConstraint(["registered_model_id", "version"], VERSION_COLUMNS,
                                name="fk_model_aliases_version"),
    )
    op.create_table(
        "transition_requests",
        sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("registered_model_id", sa.Integer, sa.ForeignKey(MODEL_FK), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_stage", sa.String(20), nullable=False),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(NAME), nullable=False),
        sa.Column("requested_by_verified", sa.Boolean, nullable=False),
        sa.Column("requested_time", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("archive_existing_versions", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(NAME), nullable=True),
        sa.Column("decided_time", sa.BigInteger, nullable=True),
        sa.Column("decision_comment", sa.Text, nullable=True),
        sa.Column("gate_results", sa.Text, nullable=False),
    )
    op.create_index("ix_transition_requests_model_status", "transition_requests",
                    ["registered_model_id", "status", "version"])
    op.create_table(
        "audit_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("registered_model_id", sa.Integer, nullable=False),
        sa.Column("model_name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_value", sa.String(NAME), nullable=True),
        sa.Column("to_value", sa.String(NAME), nullable=True),
        sa.Column("alias", sa.String(NAME), nullable=True),
        sa.Column("actor", sa.String(NAME), nullable=False),
        sa.Column("actor_verified", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("gate_results", sa.Text, nullable=True),
        sa.Column("details", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_events_model", "audit_events", ["registered_model_id", "event_id"])
    op.create_index("ix_audit_events_model_name", "audit_events", ["model_name", "event_id"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_GUARDS if dialect == "sqlite" else _POSTGRES_GUARDS if dialect == "postgresql" else []:
        op.execute(statement)
    op.create_table(
        "registry_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_time", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(NAME), nullable=False),
    )
    op.create_table(
        "webhooks",
        sa.Column("webhook_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("allow_private", sa.Boolean, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(32), sa.ForeignKey("webhooks.webhook_id"), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("last_attempt_time", sa.BigInteger, nullable=True),
        sa.Column("next_attempt_time", sa.BigInteger, nullable=True),
        sa.Column("claimed_until", sa.BigInteger, nullable=True),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_time"])
    op.create_index("ix_webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "delivery_id"])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    for table in ("webhook_deliveries", "webhooks", "registry_settings", "audit_events", "transition_requests",
                  "model_aliases", "model_version_tags", "model_versions", "registered_model_tags",
                  "registered_models"):
        op.drop_table(table)
