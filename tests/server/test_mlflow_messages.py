"""Error texts scripts and MLflow's own REST tests match: each refusal starts with MLflow's fixed
wording, checked in the raw response body as MLflow's tests check it (so a quoted value appears
JSON-escaped, ``Invalid value \\"foo\\"``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
MISSING_RUN = "f" * 32
NewRun = Callable[..., dict[str, Any]]

# (method, path, body with RUN standing for a fresh run id, status, expected text in the body)
CASES = [
    ("POST", "/runs/log-parameter", {"run_id": 31, "key": "param", "value": "41"}, 400,
     "Invalid value 31 for parameter 'run_id' supplied"),
    ("POST", "/runs/log-parameter", {"run_id": "RUN", "key": 31, "value": "41"}, 400,
     "Invalid value 31 for parameter 'key' supplied"),
    ("POST", "/runs/log-metric", {"run_id": "RUN", "key": "foo", "value": 31, "timestamp": 59, "step": "foo"}, 400,
     "Invalid value \\\"foo\\\" for parameter 'step' supplied"),
    ("POST", "/runs/log-metric", {"run_id": "RUN", "key": "foo", "value": 31, "timestamp": "foo", "step": 41}, 400,
     "Invalid value \\\"foo\\\" for parameter 'timestamp' supplied"),
    ("POST", "/runs/log-metric", {"run_id": "RUN", "value": 31, "timestamp": 59, "step": 41}, 400,
     "Missing value for required parameter 'key'"),
    ("POST", "/runs/log-metric", {"run_id": None, "key": "foo", "value": 31, "timestamp": 59}, 400,
     "Missing value for required parameter 'run_id'"),
    ("POST", "/runs/set-tag", {"run_id": "RUN", "key": "param", "value": 41}, 400,
     "Invalid value 41 for parameter 'value' supplied"),
    ("POST", "/runs/log-batch", {"run_id": "RUN", "metrics": "foo"}, 400,
     "Invalid value \\\"foo\\\" for parameter 'metrics' supplied"),
    ("POST", "/runs/log-batch", {"run_id": "RUN", "params": "foo"}, 400,
     "Invalid value \\\"foo\\\" for parameter 'params' supplied"),
    ("POST", "/runs/log-batch", {"run_id": "RUN", "params": [{"key": "../bad/param/name", "value": "v"}]}, 400,
     "Invalid value \\\"../bad/param/name\\\" for parameter 'params[0].key' supplied"),
    ("POST", "/runs/log-batch", {"run_id": "RUN", "params": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]},
     400, "Duplicate parameter keys have been submitted: ['a']."),
    ("POST", "/runs/delete-tag", {"run_id": "RUN", "key": "fakeTag"}, 404, "No tag with name: fakeTag in run with id RUN"),
    ("POST", "/runs/search", {"experiment_ids": ["0"], "max_results": 123456789}, 400,
     "Invalid value 123456789 for parameter 'max_results' supplied"),
    ("GET", "/runs/get", {"run_id": MISSING_RUN}, 404, f"Run with id={MISSING_RUN} not found"),
    ("GET", "/experiments/get", {"experiment_id": "987654321"}, 404, "No Experiment with id=987654321 exists"),
    ("POST", "/experiments/create", {"name": "bell\u0007"}, 400, "control character U+0007"),
    ("GET", "/metrics/get-history", {"run_id": "RUN", "metric_key": "m", "max_results": "-5"}, 400,
     "Invalid value -5 for parameter 'max_results' supplied"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "expected"), CASES,
                         ids=[f"{c[1]}:{c[4][:40]}" for c in CASES])
def test_refusals_start_with_mlflows_wording(http: httpx.Client, new_run: NewRun, method: str, path: str,
                                             body: dict[str, Any], status: int, expected: str) -> None:
    run_id = new_run()["run_id"]
    filled = {k: run_id if v == "RUN" else v for k, v in body.items()}
    response = http.request(method, API + path, params=filled if method == "GET" else None,
                            json=None if method == "GET" else filled)
    assert response.status_code == status, response.text
    assert expected.replace("RUN", run_id) in response.text
    assert response.json()["error_code"] in {"INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"}


def test_param_overwrite_names_both_values_as_mlflow_does(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    assert http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"}).status_code == 200
    response = http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.2"})
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        f"Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' "
        f"for run ID='{run_id}'. Attempted logging new value '0.2'."
    )


def test_an_artifact_path_escaping_the_run_is_an_invalid_path(http: httpx.Client) -> None:
    response = http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": f"0/{uuid.uuid4().hex}/../../x"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid path")


def test_a_log_batch_with_two_values_for_one_param_writes_nothing(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 1.0, "timestamp": 1}],
        "params": [{"key": "lr", "value": "0.1"}, {"key": "lr", "value": "0.2"}],
        "tags": [{"key": "t", "value": "v"}],
    }
    response = http.post(f"{API}/runs/log-batch", json=body)
    assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    data = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
    assert "metrics" not in data and "params" not in data
    assert {t["key"] for t in data.get("tags", [])} <= {"mlflow.runName"}


def test_a_log_batch_repeating_one_param_value_stores_it_once(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "params": [{"key": "lr", "value": "0.1"}, {"key": "lr", "value": "0.1"}]}
    assert http.post(f"{API}/runs/log-batch", json=body).status_code == 200
    data = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
    assert data["params"] == [{"key": "lr", "value": "0.1"}]
