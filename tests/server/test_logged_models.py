"""/api/2.0/mlflow/logged-models: the MLflow 3 API that log_model calls before uploading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
MODELS = f"{API}/logged-models"
MISSING_MODEL = "m-" + "0" * 32
NewRun = Callable[..., dict[str, Any]]


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def create_model(http: httpx.Client, experiment_id: str, **fields: Any) -> dict[str, Any]:
    response = http.post(MODELS, json={"experiment_id": experiment_id, **fields})
    assert response.status_code == 200, response.text
    model: dict[str, Any] = response.json()["model"]
    return model


def test_create_returns_a_pending_model_with_its_artifact_location(
    http: httpx.Client, new_experiment: Callable[..., str], new_run: NewRun
) -> None:
    experiment_id = new_experiment()
    run_id = new_run(experiment_id)["run_id"]
    model = create_model(http, experiment_id, name="model", source_run_id=run_id, model_type="sklearn",
                         params=[{"key": "C", "value": "1.0"}], tags=[{"key": "flavor", "value": "sklearn"}])
    info = model["info"]
    assert info["model_id"].startswith("m-") and info["name"] == "model"
    assert info["status"] == "LOGGED_MODEL_PENDING" and info["source_run_id"] == run_id
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/models/{info['model_id']}/artifacts"
    assert info["tags"] == [{"key": "flavor", "value": "sklearn"}]
    assert model["data"]["params"] == [{"key": "C", "value": "1.0"}]


def test_create_without_name_generates_one(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    assert create_model(http, new_experiment())["info"]["name"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "432109"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ({"experiment_id": "EXP", "name": "a/b"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "EXP", "name": 7}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "EXP", "params": [{"key": "p", "value": "x" * 6001}]}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "EXP", "tags": [{"value": "v"}]}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_create_errors_write_nothing(http: httpx.Client, new_experiment: Callable[..., str],
                                     body: dict[str, Any], status: int, code: str) -> None:
    experiment_id = new_experiment()
    resolved = {k: (experiment_id if v == "EXP" else v) for k, v in body.items()}
    error_of(http.post(MODELS, json=resolved), status, code)
    assert http.post(f"{MODELS}/search", json={"experiment_ids": [experiment_id]}).json() == {}


def test_get_finalize_and_delete(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    model_id = create_model(http, new_experiment())["info"]["model_id"]
    assert http.get(f"{MODELS}/{model_id}").json()["model"]["info"]["model_id"] == model_id
    ready = http.patch(f"{MODELS}/{model_id}", json={"model_id": model_id, "status": "LOGGED_MODEL_READY"})
    assert ready.json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    numeric = http.patch(f"{MODELS}/{model_id}", json={"status": 3})
    assert numeric.json()["model"]["info"]["status"] == "LOGGED_MODEL_UPLOAD_FAILED"
    assert http.delete(f"{MODELS}/{model_id}").json() == {}
    error_of(http.get(f"{MODELS}/{model_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert http.get(f"{MODELS}/{model_id}", params={"allow_deleted": "true"}).status_code == 200


def test_unknown_model_is_404_everywhere(http: httpx.Client) -> None:
    error_of(http.get(f"{MODELS}/{MISSING_MODEL}"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.get(f"{MODELS}/not a model id"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.patch(f"{MODELS}/{MISSING_MODEL}", json={"status": "LOGGED_MODEL_READY"}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.delete(f"{MODELS}/{MISSING_MODEL}"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.patch(f"{MODELS}/{MISSING_MODEL}/tags", json={"tags": []}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.post(f"{MODELS}/{MISSING_MODEL}/params", json={"params": []}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.delete(f"{MODELS}/{MISSING_MODEL}/tags/k"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_finalize_errors(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    model_id = create_model(http, new_experiment())["info"]["model_id"]
    error_of(http.patch(f"{MODELS}/{model_id}", json={}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.patch(f"{MODELS}/{model_id}", json={"status": "DONE"}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.patch(f"{MODELS}/{model_id}", json={"status": "LOGGED_MODEL_STATUS_UNSPECIFIED"}), 400, "INVALID_PARAMETER_VALUE")
    assert http.get(f"{MODELS}/{model_id}").json()["model"]["info"]["status"] == "LOGGED_MODEL_PENDING"


def test_tags_and_params(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    model_id = create_model(http, new_experiment())["info"]["model_id"]
    tagged = http.patch(f"{MODELS}/{model_id}/tags", json={"tags": [{"key": "stage", "value": "dev"}]})
    assert tagged.json()["model"]["info"]["tags"] == [{"key": "stage", "value": "dev"}]
    assert http.post(f"{MODELS}/{model_id}/params", json={"params": [{"key": "alpha", "value": "0.5"}]}).json() == {}
    changed = http.post(f"{MODELS}/{model_id}/params", json={"params": [{"key": "alpha", "value": "0.7"}]})
    error_of(changed, 400, "INVALID_PARAMETER_VALUE")
    assert http.delete(f"{MODELS}/{model_id}/tags/stage").json() == {}
    error_of(http.delete(f"{MODELS}/{model_id}/tags/stage"), 404, "RESOURCE_DOES_NOT_EXIST")
    model = http.get(f"{MODELS}/{model_id}").json()["model"]
    assert "tags" not in model["info"] and model["data"]["params"] == [{"key": "alpha", "value": "0.5"}]


def test_search_by_name_tags_and_order(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    first = create_model(http, experiment_id, name="model", tags=[{"key": "k", "value": "a"}])["info"]["model_id"]
    second = create_model(http, experiment_id, name="model", tags=[{"key": "k", "value": "b"}])["info"]["model_id"]
    create_model(http, experiment_id, name="other")

    def ids(**body: Any) -> list[str]:
        response = http.post(f"{MODELS}/search", json={"experiment_ids": [experiment_id], **body})
        assert response.status_code == 200, response.text
        return [m["info"]["model_id"] for m in response.json().get("models", [])]

    assert sorted(ids(filter="name = 'model'")) == sorted([first, second])
    assert ids(filter="name = 'model' AND tags.k = 'b'") == [second]
    assert ids(filter="name = 'model'", order_by=[{"field_name": "model_id", "ascending": True}]) == sorted([first, second])
    page = http.post(f"{MODELS}/search", json={"experiment_ids": [experiment_id], "max_results": 2}).json()
    rest = http.post(f"{MODELS}/search", json={"experiment_ids": [experiment_id], "page_token": page["next_page_token"]})
    assert len(page["models"]) == 2 and len(rest.json()["models"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"experiment_ids": []},
        {"experiment_ids": ["0"], "filter": "name =="},
        {"experiment_ids": ["0"], "filter": "flavor = 'x'"},
        {"experiment_ids": ["0"], "order_by": [{"field_name": "metrics.acc"}]},
        {"experiment_ids": ["0"], "order_by": [{"ascending": True}]},
        {"experiment_ids": ["0"], "max_results": 0},
        {"experiment_ids": ["0"], "page_token": "nope"},
        {"experiment_ids": ["0"], "datasets": [{"dataset_digest": "abc"}]},
    ],
)
def test_search_errors(http: httpx.Client, body: dict[str, Any]) -> None:
    error_of(http.post(f"{MODELS}/search", json=body), 400, "INVALID_PARAMETER_VALUE")


def test_run_outputs_and_model_metrics(http: httpx.Client, new_experiment: Callable[..., str], new_run: NewRun) -> None:
    experiment_id = new_experiment()
    run_id = new_run(experiment_id)["run_id"]
    model_id = create_model(http, experiment_id, source_run_id=run_id)["info"]["model_id"]
    point = {"key": "acc", "value": 0.9, "timestamp": 5, "step": 0}
    assert http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [point]}).status_code == 200
    assert http.post(f"{API}/runs/outputs", json={"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]}).json() == {}
    # mlflow's log_model re-logs the run's metrics with the model id: linked, not duplicated.
    linked = {**point, "model_id": model_id}
    assert http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [linked]}).status_code == 200
    run = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}
    history = http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "acc"}).json()
    assert len(history["metrics"]) == 1
    metrics = http.get(f"{MODELS}/{model_id}").json()["model"]["data"]["metrics"]
    assert metrics == [{**point, "model_id": model_id, "run_id": run_id}]
    found = http.post(f"{MODELS}/search", json={"experiment_ids": [experiment_id], "filter": "metrics.acc > 0.5"})
    assert [m["info"]["model_id"] for m in found.json()["models"]] == [model_id]


def test_outputs_and_model_metrics_for_unknown_models_are_404(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "models": [{"model_id": MISSING_MODEL}]}
    error_of(http.post(f"{API}/runs/outputs", json=body), 404, "RESOURCE_DOES_NOT_EXIST")
    metric = {"key": "acc", "value": 0.9, "timestamp": 5, "model_id": MISSING_MODEL}
    error_of(http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [metric]}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert "metrics" not in http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]


def test_model_artifact_directory_listing(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    model = create_model(http, new_experiment())["info"]
    root = model["artifact_uri"].removeprefix("mlflow-artifacts:/")
    http.put(f"/api/2.0/mlflow-artifacts/artifacts/{root}/MLmodel", content=b"flavors: {}")
    listing = http.get(f"{MODELS}/{model['model_id']}/artifacts/directories").json()
    assert listing["files"] == [{"path": "MLmodel", "is_dir": False, "file_size": 11}]
