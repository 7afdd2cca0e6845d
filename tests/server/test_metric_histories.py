"""/mlflow/metrics/get-history-bulk and /get-history-bulk-interval: one metric across many runs,
for the web UI's charts. The sample is checked point for point against MLflow's own SQL store."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
BULK = "/ajax-api/2.0/mlflow/metrics/get-history-bulk"
INTERVAL = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
UNKNOWN_RUN = "f" * 32


@pytest.fixture
def client(server: Any) -> MlflowClient:
    return MlflowClient(server.url)


def new_run(client: MlflowClient) -> str:
    experiment_id = client.create_experiment(f"histories-{uuid.uuid4().hex[:10]}")
    return str(client.create_run(experiment_id).info.run_id)


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def points(response: httpx.Response) -> list[tuple[str, str, float, int, int]]:
    assert response.status_code == 200, response.text
    return [(m["run_id"], m["key"], float(m["value"]), m["timestamp"], m["step"]) for m in response.json().get("metrics", [])]


# --- get-history-bulk ---------------------------------------------------------------------------


def test_bulk_returns_each_point_with_its_run_ordered_by_run_then_time(http: httpx.Client, client: MlflowClient) -> None:
    first, second = sorted([new_run(client), new_run(client)])
    history = [(1, 2, 10.0), (1, 3, 11.0), (1, 3, 12.0), (2, 3, 12.0)]  # (timestamp, step, value)
    for timestamp, step, value in reversed(history):
        client.log_metric(second, "loss", value + 1, timestamp=timestamp, step=step)
        client.log_metric(first, "loss", value, timestamp=timestamp, step=step)
    response = http.get(BULK, params={"run_id": [second, first, UNKNOWN_RUN], "metric_key": "loss"})
    assert points(response) == [
        *((first, "loss", v, t, s) for t, s, v in history),
        *((second, "loss", v + 1, t, s) for t, s, v in history),
    ]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_bulk_is_served_under_both_prefixes(http: httpx.Client, client: MlflowClient, prefix: str) -> None:
    run_id = new_run(client)
    client.log_metric(run_id, "acc", 0.5, timestamp=7, step=1)
    response = http.get(f"{prefix}/metrics/get-history-bulk", params={"run_id": run_id, "metric_key": "acc"})
    assert response.json() == {"metrics": [{"key": "acc", "value": 0.5, "timestamp": 7, "step": 1, "run_id": run_id}]}


def test_bulk_max_results_limits_the_points_over_all_runs(http: httpx.Client, client: MlflowClient) -> None:
    run_id = new_run(client)
    client.log_batch(run_id, metrics=[Metric("m", float(i), 100 + i, i) for i in range(5)])
    response = http.get(BULK, params={"run_id": run_id, "metric_key": "m", "max_results": 2})
    assert [p[4] for p in points(response)] == [0, 1]


def test_bulk_of_runs_without_the_metric_is_an_empty_list(http: httpx.Client) -> None:
    assert http.get(BULK, params={"run_id": UNKNOWN_RUN, "metric_key": "m"}).json() == {"metrics": []}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric_key": "m"}, "GetMetricHistoryBulk request must specify at least one run_id"),
        ({"run_id": [f"id_{i}" for i in range(101)], "metric_key": "m"}, "cannot specify more than 100 run_ids"),
        ({"run_id": "123"}, "GetMetricHistoryBulk request must specify a metric_key"),
        ({"run_id": "123", "metric_key": "m", "max_results": 0}, "max_results must be a positive integer"),
        ({"run_id": "123", "metric_key": "m", "max_results": "ten"}, "max_results"),
        ({"run_id": "123", "metric_key": "a/../b"}, "Names may be treated as files"),
    ],
)
def test_bulk_refuses_bad_requests(http: httpx.Client, params: dict[str, Any], message: str) -> None:
    assert message in error_of(http.get(BULK, params=params), 400, "INVALID_PARAMETER_VALUE")


# --- get-history-bulk-interval -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_interval_samples_evenly_and_keeps_the_last_point(http: httpx.Client, client: MlflowClient, prefix: str) -> None:
    run_id = new_run(client)
    client.log_batch(run_id, metrics=[Metric("m", float(i), 1, i) for i in range(10)])
    response = http.get(f"{prefix}/metrics/get-history-bulk-interval",
                        params={"run_ids": run_id, "metric_key": "m", "max_results": 5})
    assert [p[4] for p in points(response)] == [0, 2, 4, 6, 9]
    assert response.json()["metrics"][0] == {"key": "m", "value": 0.0, "timestamp": 1, "step": 0, "run_id": run_id}


def test_interval_step_range_is_inclusive(http: httpx.Client, client: MlflowClient) -> None:
    run_id = new_run(client)
    client.log_batch(run_id, metrics=[Metric("m", float(i), 1, i) for i in range(10)])
    response = http.get(INTERVAL, params={"run_ids": run_id, "metric_key": "m", "start_step": 3, "end_step": 6})
    assert [p[4] for p in points(response)] == [3, 4, 5, 6]


def test_interval_lists_runs_in_the_order_asked_and_skips_unknown_ones(http: httpx.Client, client: MlflowClient) -> None:
    first, second = new_run(client), new_run(client)
    client.log_metric(first, "m", 1.0, timestamp=1, step=0)
    client.log_metric(second, "m", 2.0, timestamp=1, step=0)
    response = http.get(INTERVAL, params={"run_ids": [second, UNKNOWN_RUN, first], "metric_key": "m"})
    assert [p[0] for p in points(response)] == [second, first]


def test_interval_without_points_is_an_empty_message(http: httpx.Client) -> None:
    assert http.get(INTERVAL, params={"run_ids": UNKNOWN_RUN, "metric_key": "m"}).json() == {}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric_key": "m"}, "Missing value for required parameter 'run_ids'."),
        ({"run_ids": [f"id_{i}" for i in range(101)], "metric_key": "m"},
         "GetMetricHistoryBulkInterval request must specify at most 100 run_ids."),
        ({"run_ids": "123", "metric_key": "m", "max_results": 0}, "max_results must be between 1 and 2500"),
        ({"run_ids": "123", "metric_key": "m", "max_results": 2501}, "max_results must be between 1 and 2500"),
        ({"run_ids": "123", "metric_key": ""}, "Missing value for required parameter 'metric_key'"),
        ({"run_ids": "123", "max_results": 5}, "Missing value for required parameter 'metric_key'"),
        ({"run_ids": "123", "metric_key": "m", "start_step": 1, "end_step": 0}, "end_step must be greater than start_step. "),
        ({"run_ids": "123", "metric_key": "m", "start_step": 1},
         "If either start step or end step are specified, both must be specified."),
        ({"run_ids": "123", "metric_key": "m", "start_step": "1.5", "end_step": 3}, "start_step"),
        ({"run_ids": "123", "metric_key": "m", "start_step": 0, "end_step": 2**63}, "end_step"),
    ],
)
def test_interval_refuses_bad_requests(http: httpx.Client, params: dict[str, Any], message: str) -> None:
    assert message in error_of(http.get(INTERVAL, params=params), 400, "INVALID_PARAMETER_VALUE")


# --- the sample, point for point against MLflow's SQL store --------------------------------------

NAN = float("nan")
SERIES: dict[str, list[Metric]] = {
    "ten": [Metric("m", float(i), 1, i) for i in range(10)],
    "shared-steps": [Metric("m", float(i % 4), 100 + i % 2, i // 3) for i in range(25)],
    "long": [Metric("m", math.sin(i), 1000 + i, i * 3) for i in range(400)],
    "with-nan": [Metric("m", NAN if i % 5 == 0 else float(i), 5, i) for i in range(30)],
    "one": [Metric("m", 4.0, 1, 7)],
}
REQUESTS: list[tuple[list[str], dict[str, int]]] = [
    (["ten"], {"max_results": 5}),
    (["ten"], {"max_results": 3}),
    (["ten"], {"max_results": 1}),
    (["ten"], {"max_results": 10}),
    (["ten"], {"max_results": 2, "start_step": 3, "end_step": 7}),
    (["shared-steps"], {"max_results": 4}),
    (["shared-steps"], {"max_results": 6, "start_step": 2, "end_step": 5}),
    (["long"], {"max_results": 7}),
    (["long"], {"max_results": 100, "start_step": 200, "end_step": 900}),
    (["long"], {}),
    (["with-nan"], {"max_results": 6}),
    (["long", "ten", "one", "with-nan"], {"max_results": 9}),
    (["one"], {"max_results": 3, "start_step": 8, "end_step": 9}),
]


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """MLflow's own SQLAlchemy tracking store on a fresh SQLite file: the reference sampler."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    root: Path = tmp_path_factory.mktemp("mlflow-reference")
    store = SqlAlchemyStore(f"sqlite:///{root / 'mlflow.db'}", str(root / "artifacts"))
    yield store
    store.engine.dispose()


def comparable(run: str, metric: Any) -> tuple[str, str, int, int]:
    value = float(metric.value) if not isinstance(metric, dict) else float(metric["value"])
    step = metric.step if not isinstance(metric, dict) else metric["step"]
    timestamp = metric.timestamp if not isinstance(metric, dict) else metric["timestamp"]
    return (run, "nan" if math.isnan(value) else repr(value), timestamp, step)


def test_interval_sample_matches_mlflows_sql_store(http: httpx.Client, client: MlflowClient, mlflow_store: Any) -> None:
    reference_experiment = mlflow_store.create_experiment("reference")
    ours: dict[str, str] = {}
    theirs: dict[str, str] = {}
    for name, series in SERIES.items():
        ours[name] = new_run(client)
        client.log_batch(ours[name], metrics=series)
        theirs[name] = mlflow_store.create_run(reference_experiment, "u", 0, [], name).info.run_id
        mlflow_store.log_batch(theirs[name], series, [], [])
    for names, options in REQUESTS:
        response = http.get(INTERVAL, params={"run_ids": [ours[n] for n in names], "metric_key": "m", **options})
        assert response.status_code == 200, response.text
        by_our_id = {v: k for k, v in ours.items()}
        got = [comparable(by_our_id[m["run_id"]], m) for m in response.json().get("metrics", [])]
        by_their_id = {v: k for k, v in theirs.items()}
        expected = [
            comparable(by_their_id[m.run_id], m)
            for m in mlflow_store.get_metric_history_bulk_interval(
                [theirs[n] for n in names], "m", options.get("max_results", 2500),
                options.get("start_step"), options.get("end_step"),
            )
        ]
        assert got == expected, (names, options)
