"""Retention: each experiment's retention policy (keep the N latest runs' artifacts and/or those of
runs newer than D days), and the append-only trail of what retention and garbage collection
deleted, so a later read of a collected artifact can say when it went and by which policy.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = 256
LOCATION = 1000

_SQLITE_GUARDS = [
    f"CREATE TRIGGER retention_events_no_{verb.lower()} BEFORE {verb} ON retention_events "
    "BEGIN SELECT RAISE(ABORT, 'retention events are append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    "CREATE FUNCTION retention_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'retention events are append-only'; END $$",
    "CREATE TRIGGER retention_events_no_change BEFORE UPDATE OR DELETE ON retention_events "
    "FOR EACH ROW EXECUTE FUNCTION retention_events_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.experiment_id"), primary_key=True),
        sa.Column("keep_last", sa.Integer, nullable=True),
        sa.Column("keep_days", sa.Integer, nullable=True),
        sa.Column("updated_time", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(NAME), nullable=False),
    )
    op.create_table(
        "retention_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        sa.Column("actor_verified", sa.Boolean, nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("experiment_id", sa.Integer, nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("location", sa.String(LOCATION), nullable=True),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("files", sa.Integer, nullable=True),
        sa.Column("bytes", sa.BigInteger, nullable=True),
        sa.Column("details", sa.Text, nullable=True),
    )
    op.create_index("ix_retention_events_location", "retention_events", ["location"])
    op.create_index("ix_retention_events_run", "retention_events", ["run_id"])
    op.create_index("ix_retention_events_experiment", "retention_events", ["experiment_id", "event_id"])
    guards = _POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS retention_events_no_change ON retention_events")
        op.execute("DROP FUNCTION IF EXISTS retention_events_append_only()")
    op.drop_table("retention_events")
    op.drop_table("retention_policies")
