"""The stability window against a real `cairn serve`: the replaced version stays loaded on standby,
a rollback inside the window swaps it back within 2 s with no failed request, and when the window
passes the system archives it and the server lets it go — unless the new version failed the
policy's watched gates on the traffic it served, which keeps the old one for a rollback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pandas as pd
import pytest

import cairn
from cairn.entities import Policy
from cairn.models.signature import infer_signature
from tests import backends

FEATURES = pd.DataFrame({"age": [23.0, 45.0], "visits": [1, 7]})
ROW = {"dataframe_split": {"columns": ["age", "visits"], "data": [[30.0, 2]]}}
SWITCH_LIMIT_S = 2.0
WINDOW_MS = 2000  # the stability window the archive test waits out
BREACH_WINDOW_MS = 10_000  # long enough for the new version's failures to reach the log on a busy machine
LONG_WINDOW_MS = 60_000  # long enough that the rollback test never races the window's end


def answers_one(data: pd.DataFrame) -> list[float]:
    return [1.0] * len(data)


def answers_two(data: pd.DataFrame) -> list[float]:
    return [2.0] * len(data)


def fails_always(data: pd.DataFrame) -> list[float]:
    raise ValueError("this version cannot score anything")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("standby") / "store"
    signature = infer_signature(FEATURES)
    with backends.models_store(folder, __name__) as uri:
        backends.register_versions("scorer", (answers_one, answers_two, fails_always), signature)
        cairn.Client().promote("scorer", 1, "Production", reason="first ship")
        yield uri


@pytest.fixture(scope="module")
def served(store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_launcher(store, "scorer", tmp_path_factory.mktemp("standby-serve"))


def _wait_for(condition: Callable[[], object], limit_s: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit_s, "the serving process did not follow the registry"
        time.sleep(0.02)  # polling the server's state, not ordering test steps
    return time.monotonic() - started


def _metadata(url: str) -> dict:
    return httpx.get(url + "/metadata", timeout=5).json()


def test_rollback_inside_the_window_swaps_the_warm_standby_in_with_no_failed_request(served: str) -> None:
    client = cairn.Client()
    client.set_policy("scorer", Policy(archive_previous_after_ms=LONG_WINDOW_MS), reason="stability window")
    seen: list[tuple[float, int, str]] = []
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=served, timeout=10) as http:
            while not stop.is_set():
                try:
                    response = http.post("/invocations", json=ROW)
                    seen.append((time.monotonic(), response.status_code, str(response.json().get("model_version"))))
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                time.sleep(0.004)  # a steady load, not a flood

    worker = threading.Thread(target=load)
    worker.start()
    try:
        _wait_for(lambda: len(seen) > 20)
        client.promote("scorer", 2, "Production", reason="v2 is better")
        _wait_for(lambda: seen[-1][2] == "2")  # v2's first load: a cold one is allowed here
        assert client.get_model_version("scorer", 2).current_stage == "Production"
        assert client.get_model_version("scorer", 1).current_stage == "Standby"
        _wait_for(lambda: [s["version"] for s in _metadata(served)["standby"]] == ["1"])
        rolled_back_at = time.monotonic()
        client.rollback_model("scorer", reason="v2 misbehaves")
        switched_back = _wait_for(lambda: seen[-1][2] == "1", SWITCH_LIMIT_S)
        _wait_for(lambda: len([s for s in seen if s[0] > rolled_back_at + switched_back]) > 50)
    finally:
        stop.set()
        worker.join()
    assert not failures and all(status == 200 for _, status, _ in seen), failures[:3]
    assert switched_back < SWITCH_LIMIT_S
    assert {version for _, _, version in seen} == {"1", "2"}
    assert client.get_model_version("scorer", 1).current_stage == "Production"
    assert client.get_model_version("scorer", 2).current_stage == "Archived"


def test_when_the_window_passes_the_system_archives_the_standby_version(served: str) -> None:
    client = cairn.Client()
    client.set_policy("scorer", Policy(archive_previous_after_ms=WINDOW_MS), reason="short window")
    client.promote("scorer", 2, "Production", reason="v2 again")
    promoted = time.monotonic()
    assert client.get_model_version("scorer", 1).current_stage == "Standby"
    _wait_for(lambda: _metadata(served)["model_version"] == "2")
    # The serving process's own registry polls sweep the window: no other process is running.
    _wait_for(lambda: client.get_model_version("scorer", 1).current_stage == "Archived", WINDOW_MS / 1000 + 5)
    assert time.monotonic() - promoted >= WINDOW_MS / 1000 - 0.1
    archived = [e for e in client.audit("scorer") if e.action == "archive" and e.version == 1][-1]
    assert (archived.actor, archived.actor_verified, archived.from_value) == ("cairn-system", True, "Standby")
    _wait_for(lambda: _metadata(served)["standby"] == [])
    timeline = client.timeline("scorer")
    standby = [i for i in timeline if i.kind == "standby" and i.version == 1]
    assert len(standby) == 2 and all(i.end is not None for i in standby)


def test_a_new_version_failing_its_traffic_keeps_the_standby_version_for_a_rollback(served: str) -> None:
    client = cairn.Client()
    client.set_policy("scorer", Policy(gated_stages=("Staging",), archive_previous_after_ms=BREACH_WINDOW_MS,
                                       max_canary_error_increase=0.05, min_canary_requests=10),
                      reason="watch the new version through its window")
    client.promote("scorer", 2, "Production", reason="v2 serves")
    _wait_for(lambda: _metadata(served)["model_version"] == "2")
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=served, timeout=10) as http:
            while not stop.is_set():
                response = http.post("/invocations", json=ROW)
                seen.append((response.status_code, str(response.json().get("model_version"))))
                time.sleep(0.004)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        _wait_for(lambda: sum(1 for status, _ in seen if status == 200) > 30)  # v2's record before the change
        client.promote("scorer", 3, "Production", reason="v3 passed its offline checks")
        _wait_for(lambda: client.get_model_version("scorer", 2).current_stage != "Standby"
                  or any(w["held"] for w in client.get_stability("scorer")["windows"]), BREACH_WINDOW_MS / 1000 + 20)
        assert client.get_model_version("scorer", 2).current_stage == "Standby"
        breach = [e for e in client.audit("scorer") if e.action == "gate_breach"][-1]
        assert (breach.version, breach.actor) == (3, "cairn-system")
        errors = next(g for g in breach.gate_results if g.name == "canary_errors")
        assert errors.evidence["errors"] == errors.evidence["requests"] >= 10
        assert errors.evidence["primary"] == 2 and errors.evidence["primary_errors"] == 0
        client.rollback_model("scorer", reason="v3 fails every request")
        rolled_back = len(seen)
        _wait_for(lambda: len(seen) > rolled_back + 20 and seen[-1] == (200, "2"))
    finally:
        stop.set()
        worker.join()
    assert {version for status, version in seen if status != 200} <= {"3", "None"}
    assert client.get_model_version("scorer", 3).current_stage == "Archived"
