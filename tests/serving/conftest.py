"""Fixtures: an embedded store holding model 'churn' version 1 (a classifier on age and visits)
in Production, built once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import cairn
from cairn.client import fluent, tracking_uri

FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0], "visits": [1, 7, 3, 9]})
LABELS = [0, 1, 0, 1]


@pytest.fixture(scope="module")
def churn_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The store folder, left pointed at by the fluent SDK while the module's tests run."""
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("serving") / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAIRN_CAPTURE", "none")
        fluent.set_tracking_uri(folder)
        try:
            model = LogisticRegression().fit(FEATURES, LABELS)
            with cairn.start_run():
                cairn.log_model(model, "model", input_example=FEATURES, registered_model_name="churn")
            cairn.Client().promote("churn", 1, "Production", reason="serving tests")
            yield folder
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()
