"""``/api/cairn/v1/runs/table``, ``/runs/groups`` and ``/runs/keys`` over a real server."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from .conftest import API

TABLE = "/api/cairn/v1/runs/table"


@pytest.fixture
def seeded(http: httpx.Client, new_experiment: Callable[..., str]) -> tuple[str, list[str]]:
    experiment_id = new_experiment()
    ids = []
    for i, (opt, acc) in enumerate([("adam", 0.5), ("sgd", 0.9), ("adam", "NaN")]):
        run = http.post(f"{API}/runs/create", json={"experiment_id": experiment_id, "run_name": f"r{i}",
                                                    "start_time": 1000 + i}).json()["run"]["info"]
        body = {"run_id": run["run_id"], "params": [{"key": "opt", "value": opt}],
                "metrics": [{"key": "acc", "value": acc, "timestamp": 1, "step": 0}]}
        assert http.post(f"{API}/runs/log-batch", json=body).status_code == 200
        ids.append(run["run_id"])
    return experiment_id, ids


def test_a_window_of_rows_with_the_chosen_columns(http: httpx.Client, seeded):
    experiment_id, _ = seeded
    answer = http.get(TABLE, params={"experiment_id": experiment_id, "cols": ["metrics.acc", "params.opt"],
                                     "order": "metrics.`acc` DESC", "limit": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["total"], body["matched"], body["columns"]) == (3, 3, ["metrics.acc", "params.opt"])
    assert [(r["run_name"], r["values"]) for r in body["rows"]] == [("r1", [0.9, "sgd"]), ("r0", [0.5, "adam"])]
    rest = http.get(TABLE, params={"experiment_id": experiment_id, "cols": "metrics.acc", "offset": 2,
                                   "order": "metrics.`acc` DESC"}).json()
    assert rest["total"] is None and rest["rows"][0]["values"] == ["NaN"]  # strict JSON for NaN


def test_groups_carry_min_mean_max_per_metric(http: httpx.Client, seeded):
    experiment_id, _ = seeded
    body = http.get("/api/cairn/v1/runs/groups", params={
        "experiment_id": experiment_id, "group": "params.opt", "cols": ["metrics.acc"]}).json()
    assert body["groups"] == [
        {"value": "adam", "runs": 2, "aggregates": [[0.5, 0.5, 0.5, 1]]},
        {"value": "sgd", "runs": 1, "aggregates": [[0.9, 0.9, 0.9, 1]]},
    ]
    runs = http.get(TABLE, params={"experiment_id": experiment_id, "group": "params.opt", "group_value": "adam"})
    assert [r["run_name"] for r in runs.json()["rows"]] == ["r2", "r0"]


def test_keys_of_the_experiment(http: httpx.Client, seeded):
    experiment_id, _ = seeded
    body = http.get("/api/cairn/v1/runs/keys", params={"experiment_id": experiment_id}).json()
    assert (body["metrics"], body["params"], body["truncated"]) == (["acc"], ["opt"], False)


def test_a_malformed_filter_is_a_400_with_the_position(http: httpx.Client, seeded):
    answer = http.get(TABLE, params={"experiment_id": seeded[0], "filter": "params.opt = 'adam' AND AND"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["position"] == 24 and "position 24" in body["message"]


@pytest.mark.parametrize("params, status, code", [
    ({"experiment_id": "424242"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ({}, 400, "INVALID_PARAMETER_VALUE"),
    ({"experiment_id": "0", "cols": "bogus"}, 400, "INVALID_PARAMETER_VALUE"),
    ({"experiment_id": "0", "limit": "100000"}, 400, "INVALID_PARAMETER_VALUE"),
    ({"experiment_id": "0", "parent": "../etc"}, 400, "INVALID_PARAMETER_VALUE"),
    ({"experiment_id": "0", "group_value": "x"}, 400, "INVALID_PARAMETER_VALUE"),
    ({"experiment_id": "0", "group": "metrics.acc"}, 400, "INVALID_PARAMETER_VALUE"),
])  # fmt: skip
def test_bad_requests_are_refused_with_mlflow_codes(http: httpx.Client, params, status, code):
    answer = http.get(TABLE, params=params)
    assert (answer.status_code, answer.json()["error_code"]) == (status, code)
