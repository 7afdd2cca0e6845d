"""Shared fixtures: a real SQLite store in a temp folder, and the SDK pointed at one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.client import fluent, tracking_uri
from cairn.store.database import Database, open_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'cairn.db'}")
    yield database
    database.close()


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fluent SDK pointed at a fresh embedded store, with capture off for speed."""
    folder = tmp_path / "store"
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    fluent.set_tracking_uri(folder)
    yield folder
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent.set_tracking_uri(None)
    tracking_uri.close_all()
