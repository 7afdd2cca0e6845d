"""Feature ranges at serving time: rows outside the training data's ranges are flagged on the
prediction (response, prediction log, filter, deployment counts), or refused with ``--strict-ranges``,
against real `cairn serve` subprocesses over a model whose run logged its training dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pandas as pd
import pytest

import cairn
from cairn.datasets.profile import profile_frame
from cairn.errors import InvalidParameter
from cairn.models.signature import infer_signature
from cairn.registry.feature_ranges import (
    OUT_OF_RANGE,
    UNSEEN_CATEGORY,
    ranges_from_profile,
)
from tests import backends

TRAINING = pd.DataFrame({"age": [18.0, 35.0, 52.0, 70.0], "visits": [0, 3, 9, 20],
                         "plan": ["basic", "pro", "basic", "team"]})
COLUMNS = ["age", "visits", "plan"]


def scores(data: pd.DataFrame) -> list[float]:
    return [float(a) / 100 for a in data["age"]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with backends.models_store(tmp_path_factory.mktemp("ranges") / "store", __name__) as uri:
        with cairn.start_run():
            cairn.log_dataset(TRAINING, "customers")
            cairn.log_model(scores, "model", signature=infer_signature(TRAINING), registered_model_name="risk")
        cairn.Client().promote("risk", 1, "Production", reason="first ship")
        yield uri


@pytest.fixture(scope="module")
def served(store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_launcher(store, "risk", tmp_path_factory.mktemp("ranges-serve"))


@pytest.fixture(scope="module")
def strict(store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_launcher(store, "risk", tmp_path_factory.mktemp("ranges-strict"), "--strict-ranges")


def _post(url: str, rows: list[list[object]]) -> httpx.Response:
    return httpx.post(url + "/invocations", json={"dataframe_split": {"columns": COLUMNS, "data": rows}}, timeout=10)


def _cairn(store: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cairn.cli", *args], check=False, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "CAIRN_TRACKING_URI": store, "COLUMNS": "200"})


def test_in_range_rows_carry_no_flags(served: str) -> None:
    response = _post(served, [[30.0, 2, "pro"], [70.0, 20, "team"]])
    assert response.status_code == 200, response.text
    assert "flags" not in response.json()


def test_out_of_range_and_unseen_rows_are_flagged_in_the_response_and_the_log(store: str, served: str) -> None:
    since = int(time.time() * 1000)
    response = _post(served, [[30.0, 2, "pro"], [150.0, 2, "basic"], [40.0, -1, "gold"]])
    assert response.status_code == 200, response.text
    document = response.json()
    flags = document["flags"]
    assert flags[0] == []
    assert flags[1] == [{"feature": "age", "kind": OUT_OF_RANGE, "value": 150.0, "expected": "[18, 70]"}]
    assert {(f["feature"], f["kind"]) for f in flags[2]} == {("visits", OUT_OF_RANGE), ("plan", UNSEEN_CATEGORY)}
    assert next(f for f in flags[2] if f["feature"] == "plan")["expected"] == "one of basic, pro, team"

    client = cairn.Client()
    ids = document["prediction_ids"]
    deadline = time.monotonic() + 10
    while len(client.search_predictions("risk", since=since, max_results=100)) < 3:
        assert time.monotonic() < deadline, "the prediction log did not catch up"
        time.sleep(0.05)  # polling the prediction log, not ordering test steps
    assert client.get_prediction(ids[0]).flags is None
    assert client.get_prediction(ids[1]).flags == flags[1]
    flagged = client.search_predictions("risk", since=since, filter_string="flags.any")
    assert {p.prediction_id for p in flagged} == {ids[1], ids[2]}
    assert [p.prediction_id for p in client.search_predictions("risk", since=since, filter_string="flags.plan")] \
        == [ids[2]]
    assert {p.prediction_id for p in client.search_predictions("risk", since=since, filter_string="flags.none")} \
        == {ids[0]}

    explained = client.explain_prediction(ids[1])
    assert (explained["arm"], explained["version"]["version"], explained["flags"]) == ("primary", 1, flags[1])
    assert explained["features"] == {"age": 150.0, "visits": 2, "plan": "basic"}
    assert explained["output"] == document["predictions"][1]
    assert [(s["action"], s["to_stage"]) for s in explained["gates"]] == [("promote", "Production")]

    listed = _cairn(store, "predictions", "list", "risk", "--filter", "flags.any", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {ids[1], ids[2]} <= {p["prediction_id"] for p in json.loads(listed.stdout)["predictions"]}
    shown = _cairn(store, "deployments", "show", "risk", "--json")
    counts = json.loads(shown.stdout)["range_flags"]["versions"]["1"]
    assert counts["age"][OUT_OF_RANGE] >= 1 and counts["plan"][UNSEEN_CATEGORY] >= 1
    text = _cairn(store, "deployments", "show", "risk")
    assert "Range flags:" in text.stdout and "plan" in text.stdout and "flags.any" in text.stdout


def test_strict_ranges_refuses_the_row_naming_the_feature_and_the_range(strict: str) -> None:
    refused = _post(strict, [[30.0, 2, "pro"], [150.0, 2, "basic"]])
    assert refused.status_code == 400
    body = refused.json()
    assert body["error_code"] == "BAD_REQUEST"
    assert "'age'" in body["message"] and "[18, 70]" in body["message"] and "150" in body["message"]
    unseen = _post(strict, [[30.0, 2, "gold"]])
    assert unseen.status_code == 400 and "'plan'" in unseen.json()["message"]
    assert _post(strict, [[30.0, 2, "pro"]]).status_code == 200


def test_metadata_names_where_the_ranges_come_from(served: str) -> None:
    arm = httpx.get(served + "/metadata", timeout=10).json()["arms"][0]
    ranges = arm["feature_ranges"]
    assert ranges["source"].startswith("dataset customers @")
    assert {"feature": "age", "min": 18.0, "max": 70.0} in ranges["features"]


def test_the_check_is_vectorised_over_a_large_frame() -> None:
    ranges = ranges_from_profile(profile_frame(TRAINING), "training")
    rows = 100_000
    frame = pd.DataFrame({"age": [30.0] * rows, "visits": [2] * rows, "plan": ["pro"] * rows})
    frame.loc[rows - 1, "age"] = 71.0
    started = time.perf_counter()
    flags = ranges.check(frame)
    assert time.perf_counter() - started < 1.0  # a Python loop over 100k rows x 3 features would not be
    assert flags is not None and flags[rows - 1][0]["feature"] == "age" and not any(flags[: rows - 1])
    assert ranges.check(frame.iloc[: rows - 1]) is None


def test_a_bad_flag_filter_is_refused() -> None:
    from cairn.registry.prediction_filter import parse_prediction_filter

    with pytest.raises(InvalidParameter):
        parse_prediction_filter("flags.any = 1")
