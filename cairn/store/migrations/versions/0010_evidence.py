"""Version evidence: what a model version needs to serve (its serving requirements) and what was
measured about it (latency benchmarks), each a JSON document kept with the version.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_evidence",
        sa.Column("evidence_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("registered_model_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
    )
    op.create_index("ix_version_evidence_latest", "version_evidence",
                    ["registered_model_id", "version", "kind", "evidence_id"])


def downgrade() -> None:
    op.drop_index("ix_version_evidence_latest", table_name="version_evidence")
    op.drop_table("version_evidence")
