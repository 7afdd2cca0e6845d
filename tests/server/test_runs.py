"""/api/2.0/mlflow/runs/*: behaviour and error cases against a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
MISSING_RUN = "f" * 32
NewRun = Callable[..., dict[str, Any]]


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def get_run(http: httpx.Client, run_id: str) -> dict[str, Any]:
    response = http.get(f"{API}/runs/get", params={"run_id": run_id})
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()["run"]
    return run


def data_of(http: httpx.Client, run_id: str) -> dict[str, Any]:
    data = get_run(http, run_id)["data"]
    return {
        "metrics": {m["key"]: m["value"] for m in data.get("metrics", [])},
        "params": {p["key"]: p["value"] for p in data.get("params", [])},
        "tags": {t["key"]: t["value"] for t in data.get("tags", [])},
    }


def test_create_run_returns_info_and_tags(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    body = {"experiment_id": experiment_id, "run_name": "first", "start_time": "1700000000000", "user_id": "ana",
            "tags": [{"key": "team", "value": "vision"}]}
    run = http.post(f"{API}/runs/create", json=body).json()["run"]
    info = run["info"]
    assert info["run_name"] == "first" and info["user_id"] == "ana" and info["status"] == "RUNNING"
    assert info["start_time"] == 1700000000000
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/{info['run_id']}/artifacts"
    assert info["run_uuid"] == info["run_id"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "vision" and tags["mlflow.runName"] == "first"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": 1}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "543210"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ({"experiment_id": "0", "start_time": 1.5}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "0", "start_time": "soon"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "0", "start_time": 2**63}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "0", "tags": {"k": "v"}}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "0", "tags": [{"key": "k", "value": "x" * 8001}]}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_create_run_errors(http: httpx.Client, body: dict[str, Any], status: int, code: str) -> None:
    before = http.post(f"{API}/runs/search", json={"experiment_ids": ["0"], "max_results": 50000}).json()
    error_of(http.post(f"{API}/runs/create", json=body), status, code)
    after = http.post(f"{API}/runs/search", json={"experiment_ids": ["0"], "max_results": 50000}).json()
    assert len(after.get("runs", [])) == len(before.get("runs", []))


def test_get_run_errors(http: httpx.Client) -> None:
    error_of(http.get(f"{API}/runs/get", params={"run_id": MISSING_RUN}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.get(f"{API}/runs/get"), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.get(f"{API}/runs/get", params={"run_id": "../../etc"}), 400, "INVALID_PARAMETER_VALUE")


def test_get_run_accepts_the_old_run_uuid_field(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    response = http.get(f"{API}/runs/get", params={"run_uuid": run_id})
    assert response.json()["run"]["info"]["run_id"] == run_id


def test_update_run_status_end_time_and_name(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "status": "FINISHED", "end_time": 1700000000999, "run_name": "renamed"}
    info = http.post(f"{API}/runs/update", json=body).json()["run_info"]
    assert info["status"] == "FINISHED" and info["end_time"] == 1700000000999 and info["run_name"] == "renamed"
    numeric = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": 4}).json()["run_info"]
    assert numeric["status"] == "FAILED"


def test_update_run_errors(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    error_of(http.post(f"{API}/runs/update", json={"run_id": run_id, "status": "DONE"}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(f"{API}/runs/update", json={"run_id": run_id, "end_time": [1]}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(f"{API}/runs/update", json={"run_id": MISSING_RUN, "status": "FINISHED"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert get_run(http, run_id)["info"]["status"] == "RUNNING"


def test_delete_and_restore_run(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    assert http.post(f"{API}/runs/delete", json={"run_id": run_id}).json() == {}
    assert get_run(http, run_id)["info"]["lifecycle_stage"] == "deleted"
    message = error_of(
        http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "k", "value": "v"}),
        400, "INVALID_PARAMETER_VALUE",
    )  # fmt: skip
    assert "deleted" in message
    assert http.post(f"{API}/runs/restore", json={"run_id": run_id}).json() == {}
    assert get_run(http, run_id)["info"]["lifecycle_stage"] == "active"
    error_of(http.post(f"{API}/runs/delete", json={"run_id": MISSING_RUN}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.post(f"{API}/runs/restore", json={}), 400, "INVALID_PARAMETER_VALUE")


def test_log_metric_param_and_tags(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    assert http.post(f"{API}/runs/log-metric", json={"run_id": run_id, "key": "loss", "value": 0.25,
                                                      "timestamp": 1, "step": 3}).json() == {}
    assert http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"}).json() == {}
    assert http.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "team", "value": "x"}).json() == {}
    data = data_of(http, run_id)
    assert data["metrics"] == {"loss": 0.25} and data["params"] == {"lr": "0.1"} and data["tags"]["team"] == "x"
    assert http.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "team"}).json() == {}
    assert "team" not in data_of(http, run_id)["tags"]


def test_log_metric_accepts_int64_strings_and_special_doubles(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "key": "m", "value": "Infinity", "timestamp": "1700000000000", "step": "2"}
    assert http.post(f"{API}/runs/log-metric", json=body).status_code == 200
    metric = get_run(http, run_id)["data"]["metrics"][0]
    assert metric["value"] == "Infinity" and metric["timestamp"] == 1700000000000 and metric["step"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("value", [1.0]),
        ("value", "abc"),
        ("value", True),
        ("timestamp", "1.5"),
        ("timestamp", 1.5),
        ("timestamp", True),
        ("timestamp", 2**63),
        ("step", "two"),
        ("step", -(2**63) - 1),
        ("key", 5),
    ],
)
def test_log_metric_wrong_types_are_refused_and_nothing_is_written(
    http: httpx.Client, new_run: NewRun, field: str, value: object
) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 0, field: value}
    message = error_of(http.post(f"{API}/runs/log-metric", json=body), 400, "INVALID_PARAMETER_VALUE")
    assert f"'{field}'" in message or "range" in message
    assert data_of(http, run_id)["metrics"] == {}


@pytest.mark.parametrize("missing", ["run_id", "key", "value", "timestamp"])
def test_log_metric_missing_fields(http: httpx.Client, new_run: NewRun, missing: str) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1}
    del body[missing]
    assert f"'{missing}'" in error_of(http.post(f"{API}/runs/log-metric", json=body), 400, "INVALID_PARAMETER_VALUE")


def test_log_metric_to_unknown_run_is_404(http: httpx.Client) -> None:
    body = {"run_id": MISSING_RUN, "key": "m", "value": 1.0, "timestamp": 1}
    error_of(http.post(f"{API}/runs/log-metric", json=body), 404, "RESOURCE_DOES_NOT_EXIST")


def test_param_overwrite_with_another_value_is_refused(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"})
    same = http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"})
    assert same.status_code == 200
    changed = http.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.2"})
    error_of(changed, 400, "INVALID_PARAMETER_VALUE")
    assert data_of(http, run_id)["params"] == {"lr": "0.1"}


def test_oversized_param_value_is_refused_with_the_limit(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "key": "big", "value": "x" * 6001}
    message = error_of(http.post(f"{API}/runs/log-parameter", json=body), 400, "INVALID_PARAMETER_VALUE")
    assert "6000" in message
    assert data_of(http, run_id)["params"] == {}


def test_tag_errors(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    error_of(http.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "../x", "value": "v"}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(f"{API}/runs/set-tag", json={"run_id": run_id, "value": "v"}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "absent"}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.post(f"{API}/runs/delete-tag", json={"run_id": MISSING_RUN, "key": "k"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_log_batch_writes_metrics_params_and_tags(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": float(i), "timestamp": 1000 + i, "step": i} for i in range(990)],
        "params": [{"key": f"p{i}", "value": str(i)} for i in range(5)],
        "tags": [{"key": f"t{i}", "value": "v"} for i in range(5)],
    }
    assert http.post(f"{API}/runs/log-batch", json=body).json() == {}
    data = data_of(http, run_id)
    assert data["metrics"] == {"m": 989.0} and data["params"]["p4"] == "4" and data["tags"]["t4"] == "v"


@pytest.mark.parametrize(
    "batch",
    [
        {"metrics": [{"key": "m", "value": 1.0, "timestamp": 1}] * 1001},
        {"params": [{"key": f"p{i}", "value": "v"} for i in range(101)]},
        {"metrics": [{"key": "m", "value": 1.0, "timestamp": i} for i in range(981)],
         "params": [{"key": f"p{i}", "value": "v"} for i in range(20)]},
        {"metrics": [{"key": "ok", "value": 1.0, "timestamp": 1}, {"key": "bad", "value": "x", "timestamp": 1}]},
        {"metrics": [{"key": "ok", "value": 1.0, "timestamp": 1}, {"key": "bad", "value": 1.0}]},
        {"metrics": [{"key": "ok", "value": 1.0, "timestamp": 1}, "not-an-object"]},
        {"metrics": {"key": "m"}},
        {"params": [{"key": "ok", "value": "v"}, {"key": "long", "value": "x" * 6001}]},
        {"tags": [{"key": "ok", "value": "v"}, {"key": "/abs", "value": "v"}]},
    ],
)
def test_a_rejected_batch_writes_nothing(http: httpx.Client, new_run: NewRun, batch: dict[str, Any]) -> None:
    run_id = new_run()["run_id"]
    error_of(http.post(f"{API}/runs/log-batch", json={"run_id": run_id, **batch}), 400, "INVALID_PARAMETER_VALUE")
    data = data_of(http, run_id)
    assert data["metrics"] == {} and data["params"] == {}
    assert set(data["tags"]) <= {"mlflow.runName"}


def test_log_batch_to_unknown_run_is_404(http: httpx.Client) -> None:
    body = {"run_id": MISSING_RUN, "metrics": [{"key": "m", "value": 1.0, "timestamp": 1}]}
    error_of(http.post(f"{API}/runs/log-batch", json=body), 404, "RESOURCE_DOES_NOT_EXIST")


def test_log_inputs_records_datasets(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "datasets": [{
        "dataset": {"name": "iris", "digest": "abc123", "source_type": "local", "source": "file.csv"},
        "tags": [{"key": "mlflow.data.context", "value": "training"}],
    }]}  # fmt: skip
    assert http.post(f"{API}/runs/log-inputs", json=body).json() == {}
    inputs = get_run(http, run_id)["inputs"]["dataset_inputs"]
    assert inputs[0]["dataset"]["name"] == "iris"
    assert inputs[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}]


def test_log_inputs_errors(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    url = f"{API}/runs/log-inputs"
    error_of(http.post(url, json={"run_id": run_id, "datasets": [{"tags": []}]}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(url, json={"run_id": run_id, "datasets": [{"dataset": {"name": "x"}}]}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(url, json={"run_id": run_id, "models": [{"model_id": "m-" + "0" * 32}]}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.post(url, json={"run_id": MISSING_RUN, "datasets": []}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert "dataset_inputs" not in get_run(http, run_id)["inputs"]


def test_search_runs_filters_orders_and_pages(http: httpx.Client, new_experiment: Callable[..., str], new_run: NewRun) -> None:
    experiment_id = new_experiment()
    run_ids = []
    for i in range(5):
        run_id = new_run(experiment_id)["run_id"]
        run_ids.append(run_id)
        http.post(f"{API}/runs/log-batch", json={
            "run_id": run_id,
            "metrics": [{"key": "acc", "value": i / 10, "timestamp": 1}],
            "params": [{"key": "opt", "value": "adam" if i % 2 else "sgd"}],
        })  # fmt: skip
    body = {"experiment_ids": [experiment_id], "filter": "params.opt = 'sgd'", "order_by": ["metrics.acc DESC"]}
    found = http.post(f"{API}/runs/search", json=body).json()["runs"]
    assert [r["info"]["run_id"] for r in found] == [run_ids[4], run_ids[2], run_ids[0]]
    seen: list[str] = []
    token = None
    while True:
        page_body: dict[str, Any] = {"experiment_ids": [experiment_id], "max_results": 2, "order_by": ["metrics.acc"]}
        if token:
            page_body["page_token"] = token
        page = http.post(f"{API}/runs/search", json=page_body).json()
        seen.extend(r["info"]["run_id"] for r in page["runs"])
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == run_ids


@pytest.mark.parametrize(
    "body",
    [
        {"experiment_ids": []},
        {"experiment_ids": "0"},
        {"experiment_ids": ["0"], "filter": "metrics.acc >"},
        {"experiment_ids": ["0"], "order_by": ["nonsense.x DESC"]},
        {"experiment_ids": ["0"], "max_results": 50001},
        {"experiment_ids": ["0"], "max_results": 2**31},
        {"experiment_ids": ["0"], "page_token": "bogus"},
        {"experiment_ids": ["0"], "run_view_type": "SOME"},
        {"experiment_ids": ["x"]},
    ],
)
def test_search_runs_refuses_bad_arguments(http: httpx.Client, body: dict[str, Any]) -> None:
    error_of(http.post(f"{API}/runs/search", json=body), 400, "INVALID_PARAMETER_VALUE")
