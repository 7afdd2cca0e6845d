"""/api/2.0/mlflow/metrics/get-history: whole histories, MLflow's paging, non-finite values."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
NewRun = Callable[..., dict[str, Any]]


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def log_points(http: httpx.Client, run_id: str, count: int, key: str = "m") -> None:
    for start in range(0, count, 1000):
        metrics = [{"key": key, "value": i / 2, "timestamp": 10_000 + i, "step": i} for i in range(start, min(count, start + 1000))]
        assert http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics}).status_code == 200


def history(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get(f"{API}/metrics/get-history", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_without_max_results_the_whole_history_comes_in_one_response(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    log_points(http, run_id, 2500)
    body = history(http, run_id=run_id, metric_key="m")
    assert "next_page_token" not in body
    assert [m["step"] for m in body["metrics"]] == list(range(2500))
    assert body["metrics"][3] == {"key": "m", "value": 1.5, "timestamp": 10_003, "step": 3}


def test_max_results_pages_until_the_last_page_has_no_token(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    log_points(http, run_id, 25)
    pages = []
    token = None
    while True:
        params: dict[str, Any] = {"run_id": run_id, "metric_key": "m", "max_results": 10}
        if token:
            params["page_token"] = token
        body = history(http, **params)
        pages.append([m["step"] for m in body["metrics"]])
        token = body.get("next_page_token")
        if not token:
            break
    assert pages == [list(range(10)), list(range(10, 20)), list(range(20, 25))]


def test_a_full_last_page_has_no_token(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    log_points(http, run_id, 20)
    first = history(http, run_id=run_id, metric_key="m", max_results=10)
    second = history(http, run_id=run_id, metric_key="m", max_results=10, page_token=first["next_page_token"])
    assert len(second["metrics"]) == 10 and "next_page_token" not in second


def test_unknown_key_gives_an_empty_history(http: httpx.Client, new_run: NewRun) -> None:
    assert history(http, run_id=new_run()["run_id"], metric_key="nothing") == {}


def test_non_finite_values_come_back_as_the_mlflow_client_reads_them(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    metrics = [
        {"key": "odd", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "odd", "value": "Infinity", "timestamp": 1, "step": 1},
        {"key": "odd", "value": "-Infinity", "timestamp": 1, "step": 2},
        {"key": "odd", "value": 1.5, "timestamp": 1, "step": 3},
    ]
    assert http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics}).status_code == 200
    response = http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "odd"})
    values = [m["value"] for m in response.json()["metrics"]]  # strict JSON: proto3's quoted strings
    assert values == ["NaN", "Infinity", "-Infinity", 1.5]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"metric_key": "m"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "max_results": "0"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "max_results": "-5"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "max_results": "ten"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "max_results": str(2**31)}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "page_token": "bogus"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "RUN", "metric_key": "m", "page_token": "eyJrIjoicnVucyIsIm8iOjEwfQ=="}, 400, "INVALID_PARAMETER_VALUE"),
        ({"run_id": "f" * 32, "metric_key": "m"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ],
)
def test_get_history_errors(http: httpx.Client, new_run: NewRun, params: dict[str, str], status: int, code: str) -> None:
    run_id = new_run()["run_id"]
    resolved = {k: (run_id if v == "RUN" else v) for k, v in params.items()}
    error_of(http.get(f"{API}/metrics/get-history", params=resolved), status, code)


def test_a_large_unpaged_history_streams_in_chunks_and_equals_the_paged_one(
    http: httpx.Client, new_run: NewRun
) -> None:
    run_id = new_run()["run_id"]
    log_points(http, run_id, 25_000)  # more than one 10,000-point chunk of the stream
    nan_point = {"key": "m", "value": "NaN", "timestamp": 1, "step": 30_000}
    assert http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [nan_point]}).status_code == 200
    with http.stream("GET", f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # sent chunked, not as one body
        raw = response.read()
    body = json.loads(raw)
    steps = [p["step"] for p in body["metrics"]]
    assert steps == [*range(25_000), 30_000]
    assert body["metrics"][-1]["value"] == "NaN" and body["metrics"][0]["value"] == 0.0
    paged: list[dict[str, Any]] = []
    token = None
    while True:
        page = history(http, run_id=run_id, metric_key="m", max_results=7_000, **({"page_token": token} if token else {}))
        paged += page["metrics"]
        token = page.get("next_page_token")
        if not token:
            break
    assert [p["step"] for p in paged] == steps
