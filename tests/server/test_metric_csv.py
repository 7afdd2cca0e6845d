"""/api/cairn/v1/metric-history.csv: the full series of one run's metric as a CSV download."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
CSV = "/api/cairn/v1/metric-history.csv"
NewRun = Callable[..., dict[str, Any]]


def log_points(http: httpx.Client, run_id: str, key: str, values: list[Any], first_step: int = 0) -> None:
    metrics = [{"key": key, "value": v, "timestamp": 1_700_000_000_000 + step, "step": step}
               for step, v in enumerate(values, first_step)]
    response = http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    assert response.status_code == 200, response.text


def test_every_point_is_a_row_in_step_order_and_the_file_is_an_attachment(http: httpx.Client, new_run: NewRun):
    run_id = new_run()["run_id"]
    for start in range(0, 2500, 1000):
        log_points(http, run_id, "train/loss", [i / 3 for i in range(start, min(2500, start + 1000))], start)
    response = http.get(CSV, params={"run_id": run_id, "key": "train/loss"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{run_id}-train_loss.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["step", "timestamp", "value"]
    assert len(rows) == 2501
    assert rows[1:4] == [["0", "1700000000000", "0.0"], ["1", "1700000000001", repr(1 / 3)], ["2", "1700000000002", repr(2 / 3)]]
    assert float(rows[-1][2]) == 2499 / 3  # repr round-trips exactly


def test_non_finite_values_are_written_as_nan_and_infinity(http: httpx.Client, new_run: NewRun):
    run_id = new_run()["run_id"]
    log_points(http, run_id, "loss", [1.5, "NaN", "Infinity", "-Infinity"])
    text = http.get(CSV, params={"run_id": run_id, "key": "loss"}).text
    values = [line.split(",")[2] for line in text.splitlines()[1:]]
    assert values == ["1.5", "NaN", "Infinity", "-Infinity"]
    parsed = [float(v) for v in values]
    assert math.isnan(parsed[1]) and parsed[2:] == [math.inf, -math.inf]


def test_a_key_the_run_never_logged_is_a_header_only_file(http: httpx.Client, new_run: NewRun):
    response = http.get(CSV, params={"run_id": new_run()["run_id"], "key": "nothing"})
    assert response.status_code == 200
    assert response.text == "step,timestamp,value\n"


@pytest.mark.parametrize("params, status, code", [
    ({"run_id": "0" * 32, "key": "loss"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ({"run_id": "not-a-run", "key": "loss"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ({"key": "loss"}, 400, "INVALID_PARAMETER_VALUE"),
    ({"run_id": "0" * 32}, 400, "INVALID_PARAMETER_VALUE"),
])  # fmt: skip
def test_bad_requests_are_refused_with_a_json_error(http: httpx.Client, params, status, code):
    response = http.get(CSV, params=params)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
