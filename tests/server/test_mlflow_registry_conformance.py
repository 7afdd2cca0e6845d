"""What MLflow's own registry tests expect, through the official ``mlflow`` client against a real
``cairn server``: sources returned as given, MLflow's download URIs, copy_model_version, remote
sources recorded as external, MLflow's search orders, and logged models linked to their versions,
searched by dataset and answering MLflow's error for a missing tag. The Cairn SDK (REST backend)
reads the same versions."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

import cairn
from cairn.client import tracking_uri
from cairn.client.models import load_model
from cairn.errors import InvalidParameter
from tests.mlflow_models import SKLEARN_REQUIREMENTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]
ELSEWHERE_RUN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def client(server: Any) -> Iterator[MlflowClient]:
    mlflow.set_tracking_uri(server.url)
    yield MlflowClient(server.url)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


@pytest.fixture
def sdk(server: Any) -> Iterator[cairn.Client]:
    client = cairn.Client(tracking_uri=server.url)
    yield client
    client.close()
    tracking_uri.close_all()


@pytest.fixture(scope="module")
def features() -> np.ndarray:
    return np.random.RandomState(3).rand(40, 4)


@pytest.fixture
def logged(client: MlflowClient, features: np.ndarray) -> dict[str, Any]:
    """A run that logged a sklearn model with mlflow 3's log_model(name="model")."""
    model = LogisticRegression().fit(features, (features[:, 0] > 0.5).astype(int))
    mlflow.set_experiment(f"conformance-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=SKLEARN_REQUIREMENTS)
    return {"run_id": run.info.run_id, "model_id": info.model_id, "model": model}


@pytest.fixture
def saved(client: MlflowClient, features: np.ndarray, tmp_path: Any) -> dict[str, Any]:
    """A run holding a saved sklearn model in its own artifacts under "model" (no logged model)."""
    model = LogisticRegression(C=0.1).fit(features, (features[:, 1] > 0.5).astype(int))
    mlflow.sklearn.save_model(model, str(tmp_path / "saved"), pip_requirements=SKLEARN_REQUIREMENTS)
    mlflow.set_experiment(f"conformance-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "saved"), "model")
    return {"run_id": run.info.run_id, "model": model}


def _name(prefix: str = "model") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_runs_source_is_returned_searched_and_downloaded_as_given(
        client: MlflowClient, sdk: cairn.Client, saved: dict[str, Any], features: np.ndarray) -> None:
    name, source = _name(), f"runs:/{saved['run_id']}/model"
    client.create_registered_model(name)
    created = client.create_model_version(name, source, saved["run_id"])
    assert (created.source, created.run_id) == (source, saved["run_id"])
    assert client.get_model_version(name, "1").source == source
    assert client.get_model_version_download_uri(name, "1") == source
    assert [(v.name, v.version) for v in client.search_model_versions(f"source_path = '{source}'")] == [(name, "1")]
    expected = saved["model"].predict(features).tolist()
    assert mlflow.pyfunc.load_model(f"models:/{name}/1").predict(features).tolist() == expected
    assert load_model(f"models:/{name}/1", client=sdk).predict(features).tolist() == expected


def test_runs_source_naming_a_logged_model_is_read_from_that_model_by_cairn(
        client: MlflowClient, sdk: cairn.Client, logged: dict[str, Any], features: np.ndarray) -> None:
    # mlflow 3's log_model(name="model") keeps the files with the logged model, not the run.
    name = _name()
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{logged['run_id']}/model", logged["run_id"])
    expected = logged["model"].predict(features).tolist()
    assert load_model(f"models:/{name}/1", client=sdk).predict(features).tolist() == expected
    files = sdk.list_model_version_artifacts(sdk.get_model_version(name, 1))
    assert "MLmodel" in [f.path for f in files]


def test_copy_model_version_copies_source_run_and_download_uri(
        client: MlflowClient, saved: dict[str, Any], features: np.ndarray) -> None:
    name, copies = _name(), _name("copies")
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{saved['run_id']}/model", saved["run_id"], tags={"team": "risk"})
    copy = client.copy_model_version(src_model_uri=f"models:/{name}/1", dst_name=copies)
    assert (copy.name, copy.version, copy.source, copy.run_id) == (copies, "1", f"models:/{name}/1", saved["run_id"])
    assert copy.tags == {"team": "risk"}
    assert client.get_model_version_download_uri(copies, "1") == f"runs:/{saved['run_id']}/model"
    expected = saved["model"].predict(features).tolist()
    assert mlflow.pyfunc.load_model(f"models:/{copies}/1").predict(features).tolist() == expected
    client.set_registered_model_alias(name, "champion", "1")
    again = client.copy_model_version(src_model_uri=f"models:/{name}@champion", dst_name=copies)
    assert (again.version, again.source) == ("2", f"models:/{name}/1")


def test_logged_model_source_lists_the_version_on_the_logged_model(
        client: MlflowClient, sdk: cairn.Client, logged: dict[str, Any], features: np.ndarray) -> None:
    name, model_id = _name(), logged["model_id"]
    client.create_registered_model(name)
    version = client.create_model_version(name, f"models:/{model_id}", model_id=model_id)
    assert (version.source, version.run_id) == (f"models:/{model_id}", logged["run_id"])
    assert sdk.get_model_version(name, 1).model_id == model_id  # the mlflow client does not read it back
    assert client.get_model_version_download_uri(name, "1") == client.get_logged_model(model_id).artifact_location
    tags = client.get_logged_model(model_id).tags
    assert tags["mlflow.modelVersions"] == json.dumps([{"name": name, "version": 1}])
    expected = logged["model"].predict(features).tolist()
    assert mlflow.pyfunc.load_model(f"models:/{name}/1").predict(features).tolist() == expected
    assert load_model(f"models:/{name}/1", client=sdk).predict(features).tolist() == expected


@pytest.mark.parametrize("source", ["s3://bucket/models/churn", "gs://bucket/churn",
                                    "wasbs://models@acct.blob.core.windows.net/churn", "https://models.example.com/churn",
                                    "dbfs:/databricks/mlflow/churn", f"runs:/{ELSEWHERE_RUN}/model"])
def test_remote_sources_and_runs_from_elsewhere_are_accepted_as_external(
        client: MlflowClient, sdk: cairn.Client, source: str) -> None:
    name = _name()
    client.create_registered_model(name)
    run_id = ELSEWHERE_RUN if source.startswith("runs:/") else None
    version = client.create_model_version(name, source, run_id)
    assert (version.source, version.run_id) == (source, run_id)
    assert client.get_model_version_download_uri(name, "1") == source
    shown = sdk.resolve_model_version(f"{name}/1")
    assert (shown.external, shown.files_location) == (True, None)
    assert sdk.list_model_version_artifacts(shown) == []
    with pytest.raises(InvalidParameter, match="outside Cairn's artifact store"):
        load_model(f"models:/{name}/1", client=sdk)


@pytest.mark.parametrize(("source", "why"), [
    ("/etc/passwd", "is a path on the server's disk"),
    ("file:///tmp/model", "is a path on the server's disk"),
    ("mlflow-artifacts:/0/../../x", "must not contain '..' segments"),
    ("s3://bucket/model?versionId=3", "start of a query or fragment"),
    ("s3://bucket/%2e%2e/x", "percent-escape"),
])
def test_unsafe_sources_are_refused_with_a_reason(client: MlflowClient, source: str, why: str) -> None:
    name = _name()
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as refused:
        client.create_model_version(name, source)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE" and why in refused.value.message
    assert client.search_model_versions(f"name = '{name}'") == []


def test_remote_experiment_location_is_recorded_and_its_runs_live_under_it(client: MlflowClient) -> None:
    experiment_id = client.create_experiment(_name("remote"), artifact_location="s3://bucket/team-a")
    assert client.get_experiment(experiment_id).artifact_location == "s3://bucket/team-a"
    run = client.create_run(experiment_id)
    assert run.info.artifact_uri == f"s3://bucket/team-a/{run.info.run_id}/artifacts"
    with pytest.raises(MlflowException) as refused:
        client.create_experiment(_name("local"), artifact_location="/var/lib/cairn")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"


def test_versions_come_newest_first_with_mlflows_tie_breaks(client: MlflowClient) -> None:
    names = [_name("a"), _name("b")]
    for name in names:
        client.create_registered_model(name)
        for _ in range(3):
            client.create_model_version(name, "s3://bucket/m")
    client.update_model_version(names[0], "1", description="touched last")
    both = f"name IN ('{names[0]}', '{names[1]}')"
    found = client.search_model_versions(both)
    assert (found[0].name, found[0].version) == (names[0], "1")  # the one changed last
    assert [(v.name, v.version) for v in found] == [
        (v.name, v.version) for v in sorted(found, key=lambda v: (-v.last_updated_timestamp, v.name, -int(v.version)))]
    assert [v.version for v in client.search_model_versions(f"name = '{names[1]}'")] == ["3", "2", "1"]
    by_name = client.search_model_versions(both, order_by=["name DESC"])
    assert [(v.name, v.version) for v in by_name] == [(n, str(k)) for n in reversed(names) for k in (3, 2, 1)]
    by_number = client.search_model_versions(both, order_by=["version_number ASC"])
    assert [(v.name, v.version) for v in by_number] == [(n, str(k)) for k in (1, 2, 3) for n in names]
    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
        client.search_model_versions(both, order_by=["name ASC", "name DESC"])


def test_models_come_by_name_and_deleting_a_version_touches_its_model(client: MlflowClient) -> None:
    prefix = _name("order")
    names = [f"{prefix}-b", f"{prefix}-a", f"{prefix}-c"]
    for name in names:
        client.create_registered_model(name)
    client.create_model_version(names[0], "s3://bucket/m")
    like = f"name LIKE '{prefix}-%'"
    assert [m.name for m in client.search_registered_models(like)] == sorted(names)
    assert [m.name for m in client.search_registered_models(like, order_by=["name DESC"])] == sorted(names)[::-1]
    before_delete = int(time.time() * 1000)
    client.delete_model_version(names[0], "1")
    assert client.get_registered_model(names[0]).last_updated_timestamp >= before_delete
    newest = client.search_registered_models(like, order_by=["last_updated_timestamp DESC"])
    assert newest[0].name == names[0]


def test_logged_models_are_searched_by_dataset(client: MlflowClient) -> None:
    experiment_id = client.create_experiment(_name("datasets"))
    run = client.create_run(experiment_id)
    on_eval, on_train, untouched = (client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
                                    for _ in range(3))
    client.log_metric(run.info.run_id, "acc", 0.9, step=0, model_id=on_eval.model_id,
                      dataset_name="eval", dataset_digest="d1")
    client.log_metric(run.info.run_id, "acc", 0.4, step=0, model_id=on_train.model_id,
                      dataset_name="train", dataset_digest="d2")
    client.log_metric(run.info.run_id, "acc", 0.95, step=1, model_id=on_train.model_id,
                      dataset_name="eval", dataset_digest="other")

    def ids(**search: Any) -> set[str]:
        return {m.model_id for m in client.search_logged_models([experiment_id], **search)}

    assert ids(datasets=[{"dataset_name": "eval"}]) == {on_eval.model_id, on_train.model_id}
    assert ids(datasets=[{"dataset_name": "eval", "dataset_digest": "d1"}]) == {on_eval.model_id}
    assert ids(datasets=[{"dataset_name": "train"}], filter_string="metrics.acc > 0.5") == set()
    assert ids(datasets=[{"dataset_name": "eval"}], filter_string="metrics.acc > 0.92") == {on_train.model_id}
    assert untouched.model_id in ids()
    with pytest.raises(MlflowException) as refused:
        client.search_logged_models([experiment_id], datasets=[{"dataset_name": "", "dataset_digest": "d1"}])
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "`dataset_name` in the `datasets` clause must be specified." in refused.value.message


def test_deleting_a_missing_logged_model_tag_answers_mlflows_error(client: MlflowClient) -> None:
    model = client.create_logged_model(client.create_experiment(_name("tags")))
    with pytest.raises(MlflowException) as missing:
        client.delete_logged_model_tag(model.model_id, "nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert re.search(re.escape(f"No tag with key 'nope' found for model with ID '{model.model_id}'."),
                     missing.value.message)
