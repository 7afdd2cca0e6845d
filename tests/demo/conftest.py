"""The demo's steps on an embedded store in a temp folder (the registry step also runs against a
real `cairn server`, through the root conftest's ``store_dir``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.client import fluent, tracking_uri
from tests import backends


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    with backends.embedded_store(folder) as uri:
        fluent.set_tracking_uri(uri)
        yield folder
        while fluent.active_run() is not None:
            fluent.end_run()
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()
