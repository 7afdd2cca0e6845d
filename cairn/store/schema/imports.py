"""What was copied in from another tracker (migration 0007): one row per run or logged model an
import started, so a second import skips what is complete and redoes what a crash left half done."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, PrimaryKeyConstraint, String, Table

from .base import metadata

# ``state`` is 'started' from the moment the import writes the entity's first row, and 'complete'
# once its data and artifacts are all in: the completion mark is the last thing written.
import_marks = Table(
    "import_marks",
    metadata,
    Column("kind", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("source", String(32), nullable=False),
    Column("started_time", BigInteger, nullable=False),
    Column("completed_time", BigInteger, nullable=True),
    PrimaryKeyConstraint("kind", "entity_id", name="pk_import_marks"),
)
