"""The official mlflow client, unmodified, against ``cairn server --auth``: the everyday tracking
and registry workflow signed in with ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` and with
``MLFLOW_TRACKING_TOKEN``; a 401 ``MlflowException`` without credentials; and a user who may
only read an experiment and a model can neither log, promote, set an alias nor delete (403)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
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
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

CREDENTIAL_VARIABLES = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
                        "CAIRN_TRACKING_TOKEN")


@pytest.fixture
def signed_in_as(auth_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., MlflowClient]]:
    """Point the mlflow client at the server with the given environment credentials."""

    def sign_in(**variables: str) -> MlflowClient:
        for name in CREDENTIAL_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        mlflow.set_tracking_uri(auth_server.url)
        return MlflowClient(auth_server.url)

    yield sign_in
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def everyday_workflow(client: MlflowClient, tmp_path: Path) -> str:
    """Experiment, run, params, metrics, an artifact, a logged and registered model, a stage, an
    alias, searches and loading the model back. Returns the model's name."""
    features = np.random.RandomState(3).rand(40, 3)
    labels = (features[:, 0] > 0.5).astype(int)
    name = f"auth-model-{uuid.uuid4().hex[:8]}"
    experiment_id = mlflow.set_experiment(f"auth-exp-{uuid.uuid4().hex[:8]}").experiment_id
    note = tmp_path / "note.txt"
    note.write_text("hello")
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        mlflow.log_metrics({"auc": 0.9, "loss": 0.2}, step=1)
        mlflow.log_artifact(str(note))
        mlflow.sklearn.log_model(LogisticRegression().fit(features, labels), name="model",
                                 registered_model_name=name, input_example=features[:2],
                                 pip_requirements=SKLEARN_REQUIREMENTS)
    assert client.get_run(run.info.run_id).data.metrics["auc"] == 0.9
    assert [r.info.run_id for r in mlflow.search_runs([experiment_id], output_format="list")] == [run.info.run_id]
    assert [f.path for f in client.list_artifacts(run.info.run_id) if f.path == "note.txt"] == ["note.txt"]
    client.transition_model_version_stage(name, "1", "Production")
    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").current_stage == "Production"
    assert [m.name for m in client.search_registered_models(f"name = '{name}'")] == [name]
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    assert list(loaded.predict(features[:3])) == list(LogisticRegression().fit(features, labels).predict(features[:3]))
    return name


def test_mlflow_client_runs_the_everyday_workflow_with_username_and_password(
    signed_in_as: Callable[..., MlflowClient], new_account: Any, tmp_path: Path
) -> None:
    bob = new_account("bob")
    client = signed_in_as(MLFLOW_TRACKING_USERNAME=bob.username, MLFLOW_TRACKING_PASSWORD=bob.password)
    name = everyday_workflow(client, tmp_path)
    # The registry recorded the signed-in user, not a name the client stated.
    version = client.get_model_version(name, "1")
    assert version.user_id == bob.username


def test_mlflow_client_runs_the_everyday_workflow_with_an_api_token(
    signed_in_as: Callable[..., MlflowClient], new_account: Any, mint_token: Callable[..., Any], tmp_path: Path
) -> None:
    carol = new_account("carol")
    secret = mint_token(carol.http, ["read", "write", "registry:write"])["secret"]
    assert secret.startswith("cairn_pat_")
    client = signed_in_as(MLFLOW_TRACKING_TOKEN=secret)
    name = everyday_workflow(client, tmp_path)
    assert client.get_model_version(name, "1").user_id == carol.username


def test_mlflow_client_without_credentials_gets_an_unauthenticated_error(
    signed_in_as: Callable[..., MlflowClient],
) -> None:
    client = signed_in_as()
    with pytest.raises(MlflowException, match="UNAUTHENTICATED") as caught:
        client.search_experiments()
    assert caught.value.get_http_status_code() == 401


def test_a_read_only_user_cannot_log_promote_set_an_alias_or_delete(
    signed_in_as: Callable[..., MlflowClient], new_account: Any, grant: Callable[..., None], tmp_path: Path
) -> None:
    owner, reader = new_account("owner"), new_account("reader")
    owner_client = signed_in_as(MLFLOW_TRACKING_USERNAME=owner.username, MLFLOW_TRACKING_PASSWORD=owner.password)
    name = everyday_workflow(owner_client, tmp_path)
    version = owner_client.get_model_version(name, "1")
    experiment_id = owner_client.get_run(version.run_id).info.experiment_id
    grant("experiments", experiment_id, reader.username, "READ")
    grant("registered-models", name, reader.username, "READ")

    client = signed_in_as(MLFLOW_TRACKING_USERNAME=reader.username, MLFLOW_TRACKING_PASSWORD=reader.password)
    assert client.get_run(version.run_id).data.params["C"] == "1.0"
    assert client.get_registered_model(name).name == name
    refused: list[Callable[[], object]] = [
        lambda: client.log_metric(version.run_id, "auc", 0.1),
        lambda: client.create_run(experiment_id),
        lambda: client.transition_model_version_stage(name, "1", "Archived"),
        lambda: client.set_registered_model_alias(name, "mine", "1"),
        lambda: client.delete_model_version(name, "1"),
        lambda: client.delete_registered_model(name),
        lambda: client.delete_run(version.run_id),
        lambda: client.delete_experiment(experiment_id),
    ]
    for attempt in refused:
        with pytest.raises(MlflowException, match="PERMISSION_DENIED") as caught:
            attempt()
        assert caught.value.get_http_status_code() == 403
    assert owner_client.get_model_version(name, "1").current_stage == "Production"
