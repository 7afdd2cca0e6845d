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


def test_versions_registered_before_0005_keep_reading_their_files_from_their_source(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from cairn import registry

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_engine(url)
    cfg = migrations._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.execute(text("INSERT INTO registered_models (registered_model_id, name, creation_time, "
                          "last_updated_time, last_version) VALUES (1, 'churn', 1, 1, 1)"))
        conn.execute(text("INSERT INTO model_versions (registered_model_id, version, creation_time, "
                          "last_updated_time, user_id, current_stage, source, status) VALUES "
                          "(1, 1, 1, 1, 'alice', 'None', 'mlflow-artifacts:/0/abc/artifacts/model', 'READY')"))
    engine.dispose()
    db = open_database(url)
    version = registry.get_model_version(db, "churn", 1)
    db.close()
    assert (version.source, version.files_location, version.external) == (
        "mlflow-artifacts:/0/abc/artifacts/model", "mlflow-artifacts:/0/abc/artifacts/model", False)
    assert version.storage_location is None
