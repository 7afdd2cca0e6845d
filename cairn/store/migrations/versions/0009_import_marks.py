"""Import marks: which runs and logged models an import from another tracker (MLflow) started
and which it completed, so imports are idempotent and resume after a crash.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_marks",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("started_time", sa.BigInteger, nullable=False),
        sa.Column("completed_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("kind", "entity_id", name="pk_import_marks"),
    )


def downgrade() -> None:
    op.drop_table("import_marks")
