"""Serving evidence: the range flags of each logged prediction (features outside what the version
was trained on), and the end of a replaced Production version's stability window (standby).

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("predictions", sa.Column("flags", sa.Text, nullable=True))
    op.add_column("model_versions", sa.Column("standby_until", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("standby_until")
    with op.batch_alter_table("predictions") as batch:
        batch.drop_column("flags")
