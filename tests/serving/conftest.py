"""Fixtures: an embedded store holding model 'churn' version 1 (a classifier on age and visits)
in Production, built once per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import cairn
from cairn.client import fluent, tracking_uri
from tests import backends

FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0], "visits": [1, 7, 3, 9]})
LABELS = [0, 1, 0, 1]


@pytest.fixture(scope="module")
def churn_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The store's tracking URI, left pointed at by the fluent SDK while the module's tests run."""
    from sklearn.linear_model import LogisticRegression

    with pytest.MonkeyPatch.context() as patch, backends.embedded_store(
            tmp_path_factory.mktemp("serving") / "store") as uri:
        patch.setenv("CAIRN_CAPTURE", "none")
        fluent.set_tracking_uri(uri)
        try:
            model = LogisticRegression().fit(FEATURES, LABELS)
            with cairn.start_run():
                cairn.log_model(model, "model", input_example=FEATURES, registered_model_name="churn")
            cairn.Client().promote("churn", 1, "Production", reason="serving tests")
            yield uri
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()
