"""The deployment page's prediction pages over an embedded store: newest first, every prediction
exactly once across pages even when many share one millisecond, and the filters and window kept
from page to page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cairn
from cairn.errors import InvalidParameter
from cairn.ui.prediction_query import PAGE_SIZE, PredictionQuery, load_page, read_query

NOW = 1_700_000_000_000
BURST = 2 * PAGE_SIZE + 7  # rows logged in the same millisecond


@pytest.fixture
def client(tmp_path: Path) -> Iterator[cairn.Client]:
    client = cairn.Client(tracking_uri=str(tmp_path / "store"))
    run = client.create_run("0")
    client.log_text(run.run_id, "weights", "model/model.pkl")
    client.register_model(f"runs:/{run.run_id}/model", "churn")
    records = [{"prediction_id": f"b{i:04d}", "request_id": f"r{i}", "row_index": 0, "timestamp": NOW,
                "model_name": "churn", "version": 1, "arm": "primary", "features": {"i": i}, "output": i % 2,
                "latency_ms": 1.0} for i in range(BURST)]
    records += [{**records[0], "prediction_id": f"o{i:04d}", "timestamp": NOW - 1000 * (i + 1), "arm": "canary",
                 "features": {"i": -i}} for i in range(30)]
    client.log_predictions(records)
    yield client
    client.close()


def all_pages(client: cairn.Client, query: PredictionQuery) -> list[list[Any]]:
    pages = []
    while True:
        page = load_page(client, "churn", query)
        pages.append(page.rows)
        if page.next is None:
            return pages
        query = read_query({key: str(value) for key, value in page.next.items()})  # as the link carries it


def test_pages_hold_every_prediction_once_newest_first(client: cairn.Client):
    pages = all_pages(client, PredictionQuery())
    ids = [p.prediction_id for rows in pages for p in rows]
    full, rest = divmod(BURST + 30, PAGE_SIZE)
    assert [len(rows) for rows in pages] == [PAGE_SIZE] * full + [rest]
    assert len(ids) == len(set(ids)) == BURST + 30
    times = [p.timestamp for rows in pages for p in rows]
    assert times == sorted(times, reverse=True)


def test_filters_stay_on_every_page(client: cairn.Client):
    pages = all_pages(client, read_query({"arm": "canary", "filter": "features.i <= -5"}))
    rows = [p for page in pages for p in page]
    assert len(rows) == 25 and {p.arm for p in rows} == {"canary"}


def test_the_window_bounds_the_pages(client: cairn.Client):
    query = read_query({"since": str(NOW - 10_500), "until": str(NOW)})
    rows = [p for page in all_pages(client, query) for p in page]
    assert sorted(p.prediction_id for p in rows) == [f"o{i:04d}" for i in range(10)]


@pytest.mark.parametrize("params, message", [
    ({"arm": "robot"}, "Unknown arm 'robot'"),
    ({"version": "two"}, "Model version must be a positive integer"),
    ({"since": "last tuesday"}, "From 'last tuesday' is not a time"),
    ({"since": "2024-05-02", "until": "2024-05-01"}, "'From' must be earlier than 'Until'"),
    ({"before": "-5"}, "before must be a whole number"),
    ({"skip": "99999999"}, "skip must be at most"),
])  # fmt: skip
def test_bad_filters_are_refused_with_a_message(params: dict[str, str], message: str):
    with pytest.raises(InvalidParameter, match=message):
        read_query(params)
