"""``cairn db current|check|upgrade`` on a SQLite folder, a sqlite:/// URL or a PostgreSQL URL (the
suite's store), and what a server and the SDK do with a store older or newer than themselves."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

import cairn
from cairn import cli
from cairn.client import tracking_uri
from cairn.errors import StoreTooNew
from cairn.store import migrations
from cairn.store.database import create_store_engine
from tests import backends

HEAD = migrations.HEAD


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[str]:
    uri, _ = backends.new_store(tmp_path, migrated=False)
    yield uri
    backends.drop_store(uri)


def run(capsys: pytest.CaptureFixture[str], uri: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--tracking-uri", uri, "db", *args])
    out, err = capsys.readouterr()
    return code, out, err


def set_revision(uri: str, revision: str) -> None:
    """Migrate an empty store to an old revision, or stamp a migrated one with a newer one."""
    engine = create_store_engine(uri)
    with engine.begin() as conn:
        if migrations.is_known(revision):
            cfg = migrations._config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        else:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_an_older_store_is_shown_checked_and_upgraded_once(empty_store, capsys):
    set_revision(empty_store, "0004")

    code, out, _ = run(capsys, empty_store, "current", "--json")
    assert code == 0 and json.loads(out) | {"store": None} == {
        "store": None, "revision": "0004", "head": HEAD, "state": "behind"}
    code, _, err = run(capsys, empty_store, "check")
    assert code == 1 and "cairn db upgrade" in err and "revision 0004" in err

    code, out, _ = run(capsys, empty_store, "upgrade")
    assert code == 0 and f"upgraded from revision 0004 to {HEAD}" in out
    code, out, _ = run(capsys, empty_store, "upgrade", "--json")
    assert code == 0 and json.loads(out)["changed"] is False
    code, out, _ = run(capsys, empty_store, "check")
    assert code == 0 and "up to date" in out


def test_an_empty_store_is_created_by_upgrade(empty_store, capsys):
    code, out, _ = run(capsys, empty_store, "current")
    assert code == 0 and "revision none" in out
    code, out, _ = run(capsys, empty_store, "upgrade")
    assert code == 0 and f"created at revision {HEAD}" in out


def test_a_folder_that_holds_no_store_is_reported_empty_and_left_alone(tmp_path, capsys):
    folder = tmp_path / "nothing-here"
    code, out, _ = run(capsys, str(folder), "current", "--json")
    assert code == 0 and json.loads(out)["state"] == "empty"
    assert not folder.exists()


def test_a_newer_store_is_refused_by_every_way_in_naming_the_upgrade(empty_store, capsys, tmp_path):
    cairn.Client(tracking_uri=empty_store).close()
    tracking_uri.close_all()
    set_revision(empty_store, "0999")

    code, _, err = run(capsys, empty_store, "upgrade")
    assert code == 1 and "newer than this Cairn" in err and "pip install --upgrade cairn-tracker" in err
    code, out, _ = run(capsys, empty_store, "current", "--json")
    assert json.loads(out)["state"] == "newer"
    with pytest.raises(StoreTooNew, match="pip install --upgrade cairn-tracker"):
        tracking_uri.backend_for(empty_store)
    server = subprocess.run(
        [sys.executable, "-m", "cairn.server.run", "--port", "1", "--backend-store-uri", empty_store,
         "--artifacts-destination", str(tmp_path / "artifacts")],
        capture_output=True, text=True, timeout=120,
    )
    assert server.returncode == 1
    assert "revision 0999" in server.stderr and "pip install --upgrade cairn-tracker" in server.stderr


def test_db_commands_refuse_a_server_url(capsys):
    code, _, err = run(capsys, "http://127.0.0.1:9", "current")
    assert code == 1 and "--backend-store-uri" in err
