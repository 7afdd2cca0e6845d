from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cairn.store import migrations
from cairn.store.database import open_database
from cairn.store.schema import metadata


def test_migrated_database_matches_the_schema_module(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.close()
    assert diff == []


def test_opening_a_store_twice_keeps_it_at_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    open_database(url).close()
    db = open_database(url)
    assert migrations.current_revision(db.engine) == migrations.head_revision()
    db.close()


def test_sqlite_store_uses_wal_mode(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.close()


def test_head_constant_names_the_newest_migration():
    assert migrations.HEAD == migrations.head_revision()
