"""The official ``mlflow`` client, unmodified, through the model registry of ``cairn server``:
register (from ``log_model`` and from a run), aliases, stage transitions, search, and loading the
model back by alias, version and stage.

mlflow marks model registry stages as deprecated with a FutureWarning raised at the caller's line
(so the pyproject's ``mlflow.*`` module filter does not catch it); this module ignores exactly
that message, and mlflow's UserWarning about untyped ``predict`` signatures.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

from tests.mlflow_models import SKLEARN_REQUIREMENTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
    # pyfunc's type-hint inference warns about sklearn's untyped predict, as in test_mlflow_client.py.
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]


@pytest.fixture
def client(server: Any) -> Iterator[MlflowClient]:
    mlflow.set_tracking_uri(server.url)
    yield MlflowClient(server.url)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(7)
    features = rng.rand(60, 4)
    return features, (features[:, 0] + features[:, 1] > 1).astype(int)


def test_mlflow_client_registers_moves_searches_and_loads_models(
    client: MlflowClient, data: tuple[np.ndarray, np.ndarray]
) -> None:
    features, labels = data
    name = f"churn-{uuid.uuid4().hex[:8]}"
    mlflow.set_experiment(f"registry-{uuid.uuid4().hex[:8]}")
    weak = LogisticRegression(C=0.01).fit(features, labels)
    strong = LogisticRegression(C=10.0).fit(features, labels)
    with mlflow.start_run() as first:
        mlflow.sklearn.log_model(weak, name="model", registered_model_name=name, input_example=features[:2],
                                 pip_requirements=SKLEARN_REQUIREMENTS)
    with mlflow.start_run() as second:
        mlflow.sklearn.log_model(strong, name="model", input_example=features[:2], pip_requirements=SKLEARN_REQUIREMENTS)

    # log_model(..., registered_model_name=...) registered version 1 from its logged model.
    v1 = client.get_model_version(name, "1")
    assert v1.run_id == first.info.run_id and v1.status == "READY" and v1.source.startswith("models:/m-")
    # register_model with a runs:/ URI; the client resolves it to the run's logged model.
    v2 = mlflow.register_model(f"runs:/{second.info.run_id}/model", name)
    assert v2.version == "2" and v2.run_id == second.info.run_id
    v3 = client.create_model_version(name, v1.source, run_id=first.info.run_id, description="copy of v1")
    assert v3.version == "3" and v3.description == "copy of v1"

    client.transition_model_version_stage(name, "1", "Staging")
    client.transition_model_version_stage(name, "3", "Staging", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    client.transition_model_version_stage(name, "3", "Production")
    moved = client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=False)
    assert moved.current_stage == "Production"
    # Cairn keeps one Production version: v3 was archived even without archive_existing_versions.
    assert client.get_model_version(name, "3").current_stage == "Archived"
    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
        client.transition_model_version_stage(name, "2", "Shipped")

    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    client.delete_registered_model_alias(name, "champion")
    with pytest.raises(MlflowException, match="not found"):
        client.get_model_version_by_alias(name, "champion")
    client.set_registered_model_alias(name, "champion", "2")

    assert sorted(v.version for v in client.search_model_versions(f"name='{name}'")) == ["1", "2", "3"]
    runs = f"name='{name}' AND run_id IN ('{second.info.run_id}')"
    assert [v.version for v in client.search_model_versions(runs)] == ["2"]
    assert name in [m.name for m in client.search_registered_models()]
    assert [m.name for m in client.search_registered_models(f"name LIKE '{name[:10]}%'")] == [name]
    latest = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert latest == {"Archived": "3", "Production": "2"}

    expected = strong.predict(features[:10])
    for uri in (f"models:/{name}@champion", f"models:/{name}/2", f"models:/{name}/Production"):
        assert list(mlflow.pyfunc.load_model(uri).predict(features[:10])) == list(expected), uri
    assert list(mlflow.pyfunc.load_model(f"models:/{name}/1").predict(features[:10])) == list(weak.predict(features[:10]))


def test_mlflow_client_errors_are_mlflows(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(f"missing-{uuid.uuid4().hex[:8]}")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    name = f"dup-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as duplicate:
        client.create_registered_model(name)
    assert duplicate.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as outside:
        client.create_model_version(name, "/etc/passwd")
    assert outside.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.search_model_versions(f"name='{name}'") == []
