"""Cairn's import routes answer bad bodies with MLflow's error codes and statuses, never a 500,
and refuse to add history to a run no import has begun."""

from __future__ import annotations

import uuid

import httpx
import pytest

IMPORTS = "/api/cairn/v1/imports"


def _run_body(run_id: str, **fields: object) -> dict[str, object]:
    run = {"run_id": run_id, "experiment_id": "0", "run_name": "r", "status": "FINISHED", "start_time": 1,
           "end_time": 2, "params": [{"key": "lr", "value": "0.1"}], "tags": [], **fields}
    return {"source": "mlflow", "run": run}


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/experiments", {}, "INVALID_PARAMETER_VALUE"),
    ("/experiments", {"experiment": {"experiment_id": "x", "name": "n"}}, "INVALID_PARAMETER_VALUE"),
    ("/runs/begin", {"source": "mlflow", "run": {"run_id": "0" * 32}}, "INVALID_PARAMETER_VALUE"),
    ("/runs/begin", {"source": "wandb", "run": _run_body("1" * 32)["run"]}, "INVALID_PARAMETER_VALUE"),
    ("/runs/begin", _run_body("2" * 32, status="DONE"), "INVALID_PARAMETER_VALUE"),
    ("/runs/begin", _run_body("3" * 32, start_time="soon"), "INVALID_PARAMETER_VALUE"),
    ("/runs/metrics", {"run_id": "4" * 32, "metrics": [{"key": "loss"}]}, "INVALID_PARAMETER_VALUE"),
    ("/registered-models", {"source": "mlflow", "model": {"name": "m", "creation_timestamp": 1,
                                                          "last_updated_timestamp": 1,
                                                          "versions": [{"version": "one"}]}},
     "INVALID_PARAMETER_VALUE"),
], ids=["no-experiment", "bad-experiment-id", "run-without-status", "unknown-source", "unknown-status",
        "time-not-a-number", "point-without-value", "version-not-a-number"])
def test_a_malformed_import_is_refused_with_400(http: httpx.Client, path: str, body: dict[str, object],
                                                code: str) -> None:
    response = http.post(IMPORTS + path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == code


def test_points_for_a_run_no_import_began_are_refused_with_409(http: httpx.Client) -> None:
    run_id = uuid.uuid4().hex
    points = {"run_id": run_id, "metrics": [{"key": "loss", "value": 0.1, "timestamp": 1, "step": 0}]}
    refused = http.post(IMPORTS + "/runs/metrics", json=points)
    assert refused.status_code == 409 and refused.json()["error_code"] == "INVALID_STATE"
    assert http.post(IMPORTS + "/runs/begin", json=_run_body(run_id)).json()["state"] == "started"
    assert http.post(IMPORTS + "/runs/metrics", json=points).status_code == 200
    assert http.post(IMPORTS + "/runs/complete", json={"run_id": run_id}).status_code == 200
    again = http.post(IMPORTS + "/runs/complete", json={"run_id": run_id})
    assert again.status_code == 409 and "complete" in again.json()["message"]


def test_too_many_points_in_one_call_are_refused(http: httpx.Client) -> None:
    run_id = uuid.uuid4().hex
    http.post(IMPORTS + "/runs/begin", json=_run_body(run_id))
    points = [{"key": "loss", "value": 0.1, "timestamp": 1, "step": s} for s in range(10_001)]
    response = http.post(IMPORTS + "/runs/metrics", json={"run_id": run_id, "metrics": points})
    assert response.status_code == 400 and "at most 10000" in response.json()["message"]
