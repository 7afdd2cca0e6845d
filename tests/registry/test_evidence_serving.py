"""Shadow and canary evidence gates, fed by a real `cairn serve` subprocess and its prediction log.

Version 1 (a logistic regression) is in Production and answers as the primary. Version 2 is the
same model retrained with other settings: it agrees with v1. Version 3 (a tree fitted to the
flipped labels) disagrees on every row. Version 4 fails on every request. The policy gates
Staging on the evidence, as the seeds prescribe: a shadow comparison before Staging.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pandas as pd
import pytest

import cairn
from cairn.entities import Policy
from cairn.errors import Conflict
from cairn.models.signature import infer_signature
from cairn.serving.benchmark import run_benchmark
from tests import backends

FEATURES = pd.DataFrame({"age": [20.0, 25.0, 30.0, 50.0, 55.0, 60.0], "visits": [1, 2, 3, 7, 8, 9]})
LABELS = [0, 0, 0, 1, 1, 1]
ROWS = [[22.0, 1], [58.0, 9]]  # far from the decision boundary: both regressions agree on them
REQUESTS = 30
MIN_PAIRS = 20


def fails_always(data: pd.DataFrame) -> list[int]:
    raise ValueError("this version cannot score anything")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    folder = tmp_path_factory.mktemp("evidence") / "store"
    with backends.models_store(folder, __name__) as uri:
        flipped = [1 - label for label in LABELS]
        models = (LogisticRegression().fit(FEATURES, LABELS), LogisticRegression(C=0.5).fit(FEATURES, LABELS),
                  DecisionTreeClassifier().fit(FEATURES, flipped), fails_always)
        backends.register_versions("scorer", models, infer_signature(FEATURES), input_example=FEATURES)
        client = cairn.Client()
        client.promote("scorer", 1, "Production", reason="first ship")
        client.set_policy("scorer", Policy(gated_stages=("Staging",), min_shadow_agreement=0.9,
                                           min_shadow_pairs=MIN_PAIRS))
        yield uri


@pytest.fixture(scope="module")
def served(store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_launcher(store, "scorer", tmp_path_factory.mktemp("evidence-serve"))


def _configure(url: str, **settings: object) -> None:
    revision = cairn.Client().set_deployment("scorer", clear=True, **settings).revision  # type: ignore[arg-type]
    _wait_for(lambda: httpx.get(url + "/metadata", timeout=5).json()["revision"] == revision)


def _wait_for(condition: Callable[[], bool], limit_s: float = 15.0) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit_s, "the prediction log did not receive the serving evidence"
        time.sleep(0.05)  # polling the log, not ordering test steps


def _send(url: str, count: int = REQUESTS) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        for n in range(count):
            http.post("/invocations", json={"dataframe_split": {"columns": ["age", "visits"], "data": [ROWS[n % 2]]}})


def _candidate(version: int) -> dict[str, object]:
    found = [c for c in cairn.Client().compare_deployment("scorer").gates if c["version"] == version]
    return found[0] if found else {"evidence": {"shadow_pairs": 0, "live": {"requests": 0}}}


def test_a_shadow_that_disagrees_blocks_staging_naming_rate_and_count(served: str) -> None:
    _configure(served, shadow_version=3)
    _send(served)
    _wait_for(lambda: _candidate(3)["evidence"]["shadow_pairs"] >= REQUESTS)  # type: ignore[index]
    client = cairn.Client()
    with pytest.raises(Conflict) as refused:
        client.promote("scorer", 3, "Staging", reason="try the tree")
    message = str(refused.value)
    assert f"shadow_agreement: observed 0.0% agreed over {REQUESTS} paired requests" in message, message
    assert f">= 90.0% over >= {MIN_PAIRS} paired requests" in message
    event = client.audit("scorer", version=3, newest_first=True)[0]
    assert event.action == "transition_refused"
    (gate,) = [g for g in event.gate_results if g.name == "shadow_agreement"]
    assert not gate.passed
    assert gate.evidence["pairs"] == REQUESTS and gate.evidence["agreed"] == 0 and gate.evidence["primary"] == 1
    assert client.get_model_version("scorer", 3).current_stage == "None"


def test_a_fast_agreeing_candidate_passes_shadow_and_latency_gates(served: str) -> None:
    client = cairn.Client()
    client.set_policy("scorer", Policy(gated_stages=("Staging",), min_shadow_agreement=0.9,
                                       min_shadow_pairs=MIN_PAIRS, latency_within_budget=True))
    client.set_version_requirements("scorer", 2, latency_p99="500ms")
    client.record_benchmark("scorer", 2, run_benchmark(client, "scorer", 2, rows=20))
    _configure(served, shadow_version=2)
    _send(served)
    _wait_for(lambda: _candidate(2)["evidence"]["shadow_pairs"] >= REQUESTS)  # type: ignore[index]
    now = _candidate(2)
    assert now["would_pass"] is True
    assert {r["name"]: r["passed"] for r in now["results"]} == {"latency": True, "shadow_agreement": True}
    outcome = client.promote("scorer", 2, "Staging", reason="agrees with v1 and is fast")
    assert outcome.applied
    gates = {g.name: g for g in outcome.gate_results}
    assert gates["shadow_agreement"].observed == f"100.0% agreed over {REQUESTS} paired requests"
    assert gates["latency"].passed and gates["latency"].evidence["bound_ms"] == 500.0
    event = client.audit("scorer", version=2, newest_first=True)[0]
    assert event.action == "promote"
    assert {g.name for g in event.gate_results} == {"latency", "shadow_agreement"}
    assert [g.evidence["pairs"] for g in event.gate_results if g.name == "shadow_agreement"] == [REQUESTS]


def test_a_canary_whose_errors_exceed_the_budget_blocks(served: str) -> None:
    client = cairn.Client()
    client.set_policy("scorer", Policy(gated_stages=("Staging",), max_canary_error_increase=0.05,
                                       min_canary_requests=5))
    _configure(served, canary_version=4, canary_percent=50)
    _send(served, 40)
    _wait_for(lambda: _candidate(4)["evidence"]["live"]["requests"] >= 5)  # type: ignore[index]
    with pytest.raises(Conflict) as refused:
        client.promote("scorer", 4, "Staging")
    message = str(refused.value)
    assert "canary_errors: observed 100.0% errors" in message and "vs primary 0.0%" in message, message
    (gate,) = [g for g in client.audit("scorer", version=4, newest_first=True)[0].gate_results]
    assert gate.evidence["errors"] == gate.evidence["requests"] >= 5
    assert gate.evidence["primary_errors"] == 0 and gate.evidence["primary"] == 1
