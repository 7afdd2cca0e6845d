"""Canary, A/B, shadow and following the registry, against a real `cairn serve` subprocess.

The versions are plain functions, so an output names the version that made it: v1 answers 1.0
for every row, v2 answers 2.0, and v3 (used as a shadow) is slow and then fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pandas as pd
import pytest

import cairn
from cairn.models.signature import infer_signature
from tests import backends

FEATURES = pd.DataFrame({"age": [23.0, 45.0], "visits": [1, 7]})
ROW = {"dataframe_split": {"columns": ["age", "visits"], "data": [[30.0, 2]]}}
SWITCH_LIMIT_S = 2.0
LOAD_SECONDS = 20.0


def answers_one(data: pd.DataFrame) -> list[float]:
    return [1.0] * len(data)


def answers_two(data: pd.DataFrame) -> list[float]:
    return [2.0] * len(data)


def slow_then_fails(data: pd.DataFrame) -> list[float]:
    time.sleep(0.3)
    raise ValueError("shadow model broke")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("traffic") / "store"
    signature = infer_signature(FEATURES)
    with backends.models_store(folder, __name__) as uri:
        backends.register_versions("scorer", (answers_one, answers_two, slow_then_fails), signature)
        cairn.Client().promote("scorer", 1, "Production", reason="first ship")
        yield uri


@pytest.fixture(scope="module")
def served(store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_launcher(store, "scorer", tmp_path_factory.mktemp("traffic-serve"))


def _configure(url: str, **settings: object) -> None:
    """Change the deployment and wait until the serving process runs the new revision."""
    revision = cairn.Client().set_deployment("scorer", clear=True, **settings).revision  # type: ignore[arg-type]
    _wait_for(lambda: httpx.get(url + "/metadata", timeout=5).json()["revision"] == revision)


def _wait_for(condition: object, limit_s: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < limit_s, "the serving process did not follow the registry"
        time.sleep(0.02)  # polling the server's state, not ordering test steps
    return time.monotonic() - started


def test_canary_answers_its_share_of_requests(served: str) -> None:
    _configure(served, canary_version=2, canary_percent=10)
    with httpx.Client(base_url=served, timeout=10) as http:
        bodies = [http.post("/invocations", json=ROW).json() for _ in range(2000)]
    canary = sum(1 for body in bodies if body["model_version"] == "2")
    assert all(body["predictions"] == [float(body["model_version"])] for body in bodies)
    assert all(body["arms"] == ["canary" if body["model_version"] == "2" else "primary"] for body in bodies)
    assert abs(canary / 2000 - 0.10) <= 0.03, canary


def test_ab_assignment_is_sticky_per_key(served: str) -> None:
    _configure(served, ab_version=2, ab_split=50, ab_key="user_id")
    users = [f"user-{n}" for n in range(120)]

    def one(http: httpx.Client, user: str) -> str:
        body = {"dataframe_records": [{"age": 30.0, "visits": 2, "user_id": user}]}
        response = http.post("/invocations", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["model_version"])

    with httpx.Client(base_url=served, timeout=10) as http:
        first = {user: one(http, user) for user in users}
        again = {user: one(http, user) for user in reversed(users)}
        assert first == again
        in_b = sum(1 for version in first.values() if version == "2")
        assert 30 <= in_b <= 90, in_b
        mixed = http.post("/invocations", json={"dataframe_records": [
            {"age": 30.0, "visits": 2, "user_id": user} for user in users[:20]]}).json()
        assert mixed["model_versions"] == [first[user] for user in users[:20]]
        assert mixed["predictions"] == [float(first[user]) for user in users[:20]]
        by_header = http.post("/invocations", json=ROW, headers={"X-Cairn-Request-Key": users[0]})
        assert by_header.json()["model_version"] == first[users[0]]
        keyless = http.post("/invocations", json=ROW)
        assert keyless.status_code == 400 and "user_id" in keyless.json()["message"]


def test_shadow_failures_and_slowness_never_reach_the_caller(served: str) -> None:
    _configure(served, shadow_version=3)
    with httpx.Client(base_url=served, timeout=10) as http:
        timed = []
        for _ in range(20):
            started = time.perf_counter()
            response = http.post("/invocations", json=ROW)
            timed.append(time.perf_counter() - started)
            assert response.status_code == 200 and response.json()["predictions"] == [1.0]
            assert response.headers["X-Cairn-Model-Version"] == "1"
    # The shadow sleeps 0.3 s before it fails: were the caller waiting for it, every request would
    # take that long. The median, not the maximum, so one request stalled by a busy machine is not
    # taken for the shadow's delay.
    assert sorted(timed)[len(timed) // 2] < 0.3 and sum(t >= 0.3 for t in timed) <= 2, timed
    client = cairn.Client()
    _wait_for(lambda: len(client.search_predictions("scorer", arm="shadow", max_results=1000)) >= 20)
    shadows = client.search_predictions("scorer", arm="shadow", max_results=1000)
    assert {p.error for p in shadows} == {"ValueError: shadow model broke"}
    assert all(p.version == 3 and p.output is None for p in shadows)


def test_promotion_and_rollback_switch_within_two_seconds_with_no_failed_request(served: str) -> None:
    _configure(served)
    client = cairn.Client()
    since = int(time.time() * 1000)
    seen: list[tuple[float, int, str, list[str]]] = []
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=served, timeout=10) as http:
            while not stop.is_set():
                try:
                    response = http.post("/invocations", json=ROW)
                    body = response.json()
                    seen.append((time.monotonic(), response.status_code, str(body.get("model_version")),
                                 body.get("prediction_ids", [])))
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                time.sleep(0.004)  # a steady load, not a flood that outruns the prediction log

    worker = threading.Thread(target=load)
    began = time.monotonic()
    worker.start()
    try:
        time.sleep(4)
        promoted_at = time.monotonic()
        client.promote("scorer", 2, "Production", reason="v2 is better")
        switched_up = _wait_for(lambda: seen and seen[-1][2] == "2", SWITCH_LIMIT_S)
        time.sleep(6)
        rolled_back_at = time.monotonic()
        client.rollback_model("scorer", reason="v2 misbehaves")
        switched_back = _wait_for(lambda: seen and seen[-1][2] == "1", SWITCH_LIMIT_S)
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - began)))
    finally:
        stop.set()
        worker.join()
    assert not failures and all(status == 200 for _, status, _, _ in seen), failures[:3]
    assert switched_up < SWITCH_LIMIT_S and switched_back < SWITCH_LIMIT_S
    first_v2 = next(t for t, _, version, _ in seen if version == "2")
    assert all(version == "2" for t, _, version, _ in seen if first_v2 <= t < rolled_back_at)
    assert all(version == "1" for t, _, version, _ in seen if t < promoted_at)
    assert len(seen) > 500

    answered = {ids[0]: version for _, _, version, ids in seen}
    _wait_for(lambda: _logged(client, since, len(answered)) >= len(answered))
    logged = {p.prediction_id: str(p.version) for p in client.search_predictions(
        "scorer", since=since, arm="primary", max_results=10_000)}
    assert logged == answered


def _logged(client: cairn.Client, since: int, wanted: int) -> int:
    return len(client.search_predictions("scorer", since=since, arm="primary", max_results=max(wanted, 1)))
