"""A model logged and registered by the official mlflow client, through a real `cairn server`,
served by a real `cairn serve` that reads the registry and writes its prediction log over REST.

mlflow marks registry stages deprecated with a FutureWarning at the caller's line, and warns
about sklearn's untyped predict; both are ignored here as in the server's mlflow tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

import cairn
from cairn.errors import NotFound
from tests.mlflow_models import SKLEARN_REQUIREMENTS

from .test_traffic import _wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

FEATURES = pd.DataFrame({"tenure": [1.0, 30.0, 4.0, 50.0, 2.0, 45.0], "tickets": [5, 0, 4, 1, 6, 0]})
LABELS = [1, 0, 1, 0, 1, 0]


@pytest.fixture(scope="module")
def registered(server_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Any]]:
    """(server URL, model name, the fitted model), version 1 in Production, all done by mlflow."""
    server = server_factory()
    name = f"mlflow-churn-{uuid.uuid4().hex[:6]}"
    model = LogisticRegression().fit(FEATURES, LABELS)
    mlflow.set_tracking_uri(server.url)
    try:
        mlflow.set_experiment(f"serve-{uuid.uuid4().hex[:6]}")
        with mlflow.start_run():
            mlflow.sklearn.log_model(model, name="model", registered_model_name=name,
                                     signature=infer_signature(FEATURES, model.predict(FEATURES)),
                                     pip_requirements=SKLEARN_REQUIREMENTS)
        MlflowClient(server.url).transition_model_version_stage(name, "1", "Production")
    finally:
        mlflow.set_tracking_uri(None)
    yield server.url, name, model


def test_a_model_mlflow_logged_is_served_and_its_predictions_logged_through_the_server(
    registered: tuple[str, str, Any], tmp_path: Path, serve_launcher: Callable[..., Iterator[str]]
) -> None:
    url, name, model = registered
    for served in serve_launcher(url, name, tmp_path):
        rows = [[3.0, 5], [40.0, 1]]
        response = httpx.post(served + "/invocations", timeout=30,
                              json={"dataframe_split": {"columns": ["tenure", "tickets"], "data": rows}})
        assert response.status_code == 200, response.text
        body = response.json()
        expected = model.predict(pd.DataFrame(rows, columns=["tenure", "tickets"])).tolist()
        assert body["predictions"] == expected and body["model_version"] == "1"
        refused = httpx.post(served + "/invocations", timeout=30,
                             json={"dataframe_split": {"columns": ["tenure"], "data": [[3.0]]}})
        # mlflow recorded no usable input schema here (it could not infer one), so the model itself
        # refuses: a 400 naming its complaint, as MLflow's own scoring server answers.
        assert refused.status_code == 400 and "tickets" in refused.json()["message"]

        client = cairn.Client(url)
        _wait_for(lambda: _logged(client, body["prediction_ids"][1]))
        logged = client.get_prediction(body["prediction_ids"][1])
        assert (logged.version, logged.arm, logged.features) == (1, "primary", {"tenure": 40.0, "tickets": 1})
        assert logged.output == expected[1] and logged.run_id
        client.close()


def _logged(client: cairn.Client, prediction_id: str) -> bool:
    try:
        client.get_prediction(prediction_id)
        return True
    except NotFound:
        return False
