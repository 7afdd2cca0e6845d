"""The prediction logger: batches off the request path, a bounded queue with counted drops, and
rows that carry each row's features, output, version and arm."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import pytest

from cairn.serving.prediction_log import PredictionLogger, Served

pytestmark = pytest.mark.store_independent(reason="the prediction logger's queue and batching, writing to a list; no store")


def _served(n: int, rows: list[int] | None = None) -> Served:
    data = pd.DataFrame({"age": [30.0, 40.0, 50.0], "visits": [1, 2, 3]})
    count = len(rows) if rows is not None else 3
    return Served(1_000 + n, f"req{n}", "churn", "primary", "2", data, rows, [float(i) for i in range(count)],
                  [f"p{n}-{i}" for i in range(count)], 1.25)


def test_rows_carry_the_features_of_the_rows_each_arm_answered() -> None:
    records = _served(1, rows=[0, 2]).records()
    assert [r["row_index"] for r in records] == [0, 2]
    assert [r["features"] for r in records] == [{"age": 30.0, "visits": 1}, {"age": 50.0, "visits": 3}]
    assert [r["output"] for r in records] == [0.0, 1.0]
    assert {(r["version"], r["arm"], r["request_id"], r["latency_ms"]) for r in records} == {(2, "primary", "req1", 1.25)}


def test_a_full_queue_drops_and_counts_without_blocking_and_the_rest_is_written() -> None:
    written: list[dict[str, Any]] = []
    release = threading.Event()

    def slow_sink(rows: list[dict[str, Any]]) -> None:
        release.wait(10)
        written.extend(rows)

    log = PredictionLogger(slow_sink, max_pending=4, batch_rows=3, interval_s=0.01)
    try:
        accepted = [log.submit(_served(n)) for n in range(30)]
        stats = log.stats()
        assert accepted.count(False) >= 20 and stats["dropped"] == 3 * accepted.count(False)
        release.set()
        assert log.flush(10)
        stats = log.stats()
        assert stats["written"] == stats["accepted"] == len(written) == 3 * accepted.count(True)
        assert stats["queued"] == 0 and stats["failed"] == 0
    finally:
        release.set()
        log.close()


def test_a_failing_store_is_retried_then_counted_as_failed() -> None:
    calls: list[int] = []

    def broken_sink(rows: list[dict[str, Any]]) -> None:
        calls.append(len(rows))
        raise OSError("disk full")

    log = PredictionLogger(broken_sink, interval_s=0.01)
    try:
        log.submit(_served(1))
        assert log.flush(10)
        assert log.stats()["failed"] == 3 and log.stats()["written"] == 0 and len(calls) == 3
    finally:
        log.close()


def test_features_are_read_from_the_request_payload_in_every_scoring_format() -> None:
    rows = [{"age": 30.0, "visits": 1}, {"age": 40.0, "visits": 2}]
    payloads = [
        {"dataframe_split": {"columns": ["age", "visits"], "data": [[30.0, 1], [40.0, 2]]}},
        {"dataframe_records": rows},
        {"instances": rows},
        {"inputs": {"age": [30.0, 40.0], "visits": [1, 2]}},
    ]
    for payload in payloads:
        served = Served(1, "r", "churn", "canary", "3", payload, [1], [7.0], ["p"], 0.5)
        (record,) = served.records()
        assert (record["features"], record["row_index"], record["output"]) == (rows[1], 1, 7.0), payload
    positional = Served(1, "r", "churn", "primary", "3", {"inputs": [[30.0, 1]]}, None, [1.0], ["p"], 0.5)
    assert positional.records()[0]["features"] == [30.0, 1]
