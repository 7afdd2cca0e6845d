"""Model versions keep their source as the client gave it (``runs:/...``, ``models:/...``), so
where the files are is stored beside it: ``storage_location`` (what MLflow's download URI
answers when it differs from the source) and ``files_location`` (the place in Cairn's artifact
store the files are read from; NULL when they are outside it).

Before this revision every source was already rewritten to a ``mlflow-artifacts:/`` location
inside the store, so existing versions read their files from their source.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LOCATION = 1000


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("storage_location", sa.String(LOCATION), nullable=True))
    op.add_column("model_versions", sa.Column("files_location", sa.String(LOCATION), nullable=True))
    op.execute("UPDATE model_versions SET files_location = source")


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("files_location")
        batch.drop_column("storage_location")
