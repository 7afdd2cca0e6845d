"""Web UI sign-in sessions: one row per signed-in browser, keyed by the SHA-256 of its cookie.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("expiration_time", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expiry", "web_sessions", ["expiration_time"])


def downgrade() -> None:
    op.drop_table("web_sessions")
