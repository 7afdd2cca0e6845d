from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from cairn import registry
from cairn.errors import StoreTooNew
from cairn.store import migrations
from cairn.store.database import create_store_engine, open_database
from cairn.store.schema import metadata
from tests import backends


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no schema yet."""
    uri, _ = backends.new_store(tmp_path, migrated=False)
    yield uri
    backends.drop_store(uri)


def migrate_to(url: str, revision: str) -> None:
    """Bring an empty store to an old revision, as an older Cairn left it."""
    engine = create_store_engine(url)
    cfg = migrations._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_migrated_database_matches_the_schema_module(empty_store):
    db = open_database(empty_store)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.close()
    assert diff == []


def test_opening_a_store_twice_keeps_it_at_head(empty_store):
    open_database(empty_store).close()
    db = open_database(empty_store)
    assert migrations.current_revision(db.engine) == migrations.head_revision()
    db.close()


@pytest.mark.sqlite_only(reason="write-ahead logging is how the SQLite store lets readers run beside its writer")
def test_sqlite_store_uses_wal_mode(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.close()


def test_head_constant_names_the_newest_migration():
    assert migrations.HEAD == migrations.head_revision() == migrations.known_revisions()[-1]


def test_creating_a_new_store_says_nothing(empty_store, capsys):
    open_database(empty_store).close()
    assert capsys.readouterr().err == ""


def test_a_store_made_by_an_older_cairn_is_upgraded_in_place_saying_from_and_to(empty_store, capsys):
    migrate_to(empty_store, "0004")

    db = open_database(empty_store)
    revision = migrations.current_revision(db.engine)
    db.close()

    assert revision == migrations.HEAD
    err = capsys.readouterr().err
    assert f"from schema revision 0004 to {migrations.HEAD}" in err
    open_database(empty_store).close()
    assert capsys.readouterr().err == ""  # once only


def test_a_store_newer_than_this_cairn_is_refused_naming_what_to_upgrade(empty_store):
    open_database(empty_store).close()
    engine = create_store_engine(empty_store)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()

    with pytest.raises(StoreTooNew) as caught:
        open_database(empty_store)

    message = caught.value.message
    assert "revision 0999" in message and f"up to {migrations.HEAD}" in message
    assert "pip install --upgrade cairn-tracker" in message


def test_a_database_that_cannot_be_reached_does_not_read_as_empty(tmp_path):
    url = (f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}" if not backends.on_postgres()
           else "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    engine = create_engine(url)
    if not backends.on_postgres():
        (tmp_path / "missing-folder").write_text("a file where the folder should be")
    with pytest.raises(OperationalError):
        migrations.current_revision(engine)
    engine.dispose()


def test_versions_registered_before_0005_keep_reading_their_files_from_their_source(empty_store):
    migrate_to(empty_store, "0004")
    engine = create_store_engine(empty_store)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO registered_models (registered_model_id, name, creation_time, "
                          "last_updated_time, last_version) VALUES (1, 'churn', 1, 1, 1)"))
        conn.execute(text("INSERT INTO model_versions (registered_model_id, version, creation_time, "
                          "last_updated_time, user_id, current_stage, source, status) VALUES "
                          "(1, 1, 1, 1, 'alice', 'None', 'mlflow-artifacts:/0/abc/artifacts/model', 'READY')"))
    engine.dispose()
    db = open_database(empty_store)
    version = registry.get_model_version(db, "churn", 1)
    db.close()
    assert (version.source, version.files_location, version.external) == (
        "mlflow-artifacts:/0/abc/artifacts/model", "mlflow-artifacts:/0/abc/artifacts/model", False)
    assert version.storage_location is None


def test_points_stored_before_0012_get_the_blocks_ingest_would_have_written(empty_store):
    from cairn.store import metric_blocks

    migrate_to(empty_store, "0011")
    # Negative steps, NaN (stored as 0 with is_nan), a step logged again later, two series.
    points = [(1, s, 1_000 + s, float((s * 7919) % 1000) - 500, False) for s in range(-5_000, 20_000, 3)]
    points += [(1, s, 1, 0.0, True) for s in range(0, 20_000, 11)]
    points += [(1, 64 * 9 + 5, 99_000, -1e6, False), (2, 7, 5, 2.5, False), (2, 7, 6, 1.5, False)]
    engine = create_store_engine(empty_store)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO latest_metrics (series_id, run_id, key, step, timestamp, value, is_nan) "
                          "VALUES (1, 'r', 'loss', 0, 0, 0, false), (2, 'r', 'acc', 0, 0, 0, false)"))
        conn.execute(text("INSERT INTO metrics (series_id, step, timestamp, value, is_nan) "
                          "VALUES (:i, :s, :t, :v, :n)"),
                     [{"i": i, "s": s, "t": t, "v": v, "n": n} for i, s, t, v, n in points])
    engine.dispose()
    db = open_database(empty_store)
    with db.read() as conn:
        stored = sorted(tuple(r) for r in conn.execute(text("SELECT * FROM metric_blocks")))
    db.close()
    assert stored == metric_blocks.fold(points)
    assert {w for _, w, *_ in stored} == {metric_blocks.BLOCK_WIDTH}
