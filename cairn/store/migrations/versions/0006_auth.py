"""Authentication: users and service accounts, API tokens, per-resource grants, the append-only
log of changes to them, failed-login counters; and who exactly made each registry event.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = 256

_SQLITE_GUARDS = [
    f"CREATE TRIGGER auth_events_no_{verb.lower()} BEFORE {verb} ON auth_events "
    "BEGIN SELECT RAISE(ABORT, 'auth events are append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    "CREATE FUNCTION auth_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'auth events are append-only' USING ERRCODE = 'restrict_violation'; END $$",
    "CREATE TRIGGER auth_events_no_change BEFORE UPDATE OR DELETE ON auth_events "
    "FOR EACH ROW EXECUTE FUNCTION auth_events_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(NAME), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("is_service", sa.Boolean, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(NAME), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("expiration_time", sa.BigInteger, nullable=False),
        sa.Column("last_used_time", sa.BigInteger, nullable=True),
        sa.Column("revoked_time", sa.BigInteger, nullable=True),
        sa.Column("created_by", sa.String(NAME), nullable=False),
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id", "creation_time"])
    op.create_table(
        "resource_permissions",
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_key", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("permission", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_key", "user_id", name="pk_resource_permissions"),
    )
    op.create_index("ix_resource_permissions_user", "resource_permissions", ["user_id", "resource_type"])
    op.create_table(
        "auth_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("actor_method", sa.String(16), nullable=True),
        sa.Column("target", sa.String(NAME), nullable=True),
        sa.Column("details", sa.Text, nullable=True),
    )
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(NAME + 80), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.BigInteger, nullable=False),
    )
    # Plain ADD COLUMN (no table copy), so the append-only triggers of 0003 stay in place.
    op.add_column("audit_events", sa.Column("actor_id", sa.String(64), nullable=True))
    op.add_column("audit_events", sa.Column("actor_method", sa.String(16), nullable=True))
    guards = _POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auth_events_no_change ON auth_events")
        op.execute("DROP FUNCTION IF EXISTS auth_events_append_only()")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("actor_method")
        batch.drop_column("actor_id")
    for table in ("login_failures", "auth_events", "resource_permissions", "api_tokens", "users"):
        op.drop_table(table)
