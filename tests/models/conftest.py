"""Fixtures: the fluent SDK on an embedded store in tmp_path, and a small trained classifier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cairn.client import fluent, tracking_uri
from tests import backends


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    with backends.embedded_store(folder) as uri:
        fluent.set_tracking_uri(uri)
        try:
            yield folder
            while fluent.active_run() is not None:
                fluent.end_run()
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()


@pytest.fixture
def features() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [23.0, 45.0, 31.0, 52.0, 38.0, 27.0],
        "visits": [1, 7, 3, 9, 5, 2],
    })


@pytest.fixture
def classifier(features: pd.DataFrame) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(features, [0, 1, 0, 1, 1, 0])
