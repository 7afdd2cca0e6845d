"""Serving requirements, the latency benchmark and its gate, and the slice gate: through the SDK
on the embedded store and against a real `cairn server` (the REST routes and their errors)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cloudpickle
import httpx
import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.entities import Policy
from cairn.errors import Conflict, InvalidParameter
from cairn.models.signature import infer_signature
from cairn.registry.evidence_policy import parse_slice_requirement
from cairn.serving.benchmark import run_benchmark

FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0], "visits": [1, 7, 3, 9]})
SLOW_MS = 30
FAST_BUDGET_MS = 1000  # the fast model answers in well under a millisecond on a quiet machine


def quick(data: pd.DataFrame) -> list[float]:
    return [0.0] * len(data)


def slow(data: pd.DataFrame) -> list[float]:
    time.sleep(SLOW_MS / 1000)
    return [1.0] * len(data)


@pytest.fixture
def client(store_dir: Path) -> cairn.Client:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        for model in (quick, slow):
            with cairn.start_run():
                cairn.log_model(model, "model", input_example=FEATURES, signature=infer_signature(FEATURES),
                                registered_model_name="scorer")
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    return cairn.Client()


def test_requirements_are_stored_with_the_version_and_merged(client: cairn.Client) -> None:
    first = client.set_version_requirements("scorer", 1, latency_p99="20ms", max_batch=64, device="cpu",
                                            memory="2GiB", user="alice")
    assert (first.latency_p99_ms, first.max_batch, first.device, first.memory_bytes) == (20.0, 64, "cpu", 2 * 2**30)
    again = client.set_version_requirements("scorer", 1, device="gpu", user="bob")
    assert (again.latency_p99_ms, again.max_batch, again.device, again.set_by) == (20.0, 64, "gpu", "bob")
    assert client.get_version_requirements("scorer", 1) == again
    assert client.get_version_requirements("scorer", 2).latency_p99_ms is None


BAD_REQUIREMENTS = [
    ({"latency_p99": "fast"}, "should look like 20ms"),
    ({"latency_p99": "0ms"}, "more than 0"),
    ({"max_batch": 0}, "max batch must be an integer from 1"),
    ({"device": "tpu"}, "device must be one of cpu, gpu"),
    ({"memory": "lots"}, "should look like 2GiB"),
    ({}, "Give at least one requirement"),
]


def test_bad_requirements_are_refused_naming_the_field(client: cairn.Client) -> None:
    for given, named in BAD_REQUIREMENTS:
        with pytest.raises(InvalidParameter, match=named):
            client.set_version_requirements("scorer", 1, **given)  # type: ignore[arg-type]


def test_a_slow_model_fails_the_latency_gate_and_no_benchmark_names_the_command(client: cairn.Client) -> None:
    client.set_policy("scorer", Policy(gated_stages=("Staging",), latency_within_budget=True))
    client.set_version_requirements("scorer", 2, latency_p99="10ms")
    with pytest.raises(Conflict, match="latency: observed no benchmark.*run: cairn models benchmark scorer 2"):
        client.promote("scorer", 2, "Staging")
    bench = client.record_benchmark("scorer", 2, run_benchmark(client, "scorer", 2, rows=10))
    assert bench.p99_ms >= SLOW_MS and bench.requests == 10 and bench.machine["cpu_count"] >= 1
    assert bench.batch_rows == 10 and bench.source == "input_example"
    with pytest.raises(Conflict) as refused:
        client.promote("scorer", 2, "Staging")
    assert f"latency: observed p99 {bench.p99_ms:.3g} ms over 10 requests" in str(refused.value)
    assert "required p99 <= budget (10 ms)" in str(refused.value)
    assert client.get_latest_benchmark("scorer", 2) == bench

    # The fast model's budget leaves room for a busy machine: the gate, not the machine, is under test.
    client.set_version_requirements("scorer", 1, latency_p99=f"{FAST_BUDGET_MS}ms")
    client.record_benchmark("scorer", 1, run_benchmark(client, "scorer", 1, rows=10))
    outcome = client.promote("scorer", 1, "Staging")
    (gate,) = outcome.gate_results
    assert gate.passed and gate.evidence["p99_ms"] < FAST_BUDGET_MS and gate.evidence["machine"]["hostname"]


def test_the_slice_gate_refuses_a_version_good_on_average_but_bad_on_a_slice(client: cairn.Client) -> None:
    rng = np.random.default_rng(0)
    country = np.array(["US"] * 400 + ["FR"] * 250 + ["LU"] * 60)
    y = rng.integers(0, 2, len(country))
    scores = np.where(country == "US", y * 0.8 + 0.1, rng.random(len(country)))  # FR and LU: coin flips
    scores[country == "LU"] = 1 - y[country == "LU"]  # LU is worst, but too small to count
    found = client.log_version_slice_metrics("scorer", 1, y, scores, by=pd.DataFrame({"country": country}),
                                             metrics=["auc", "recall"])
    assert {(s.slice, s.metric, s.rows) for s in found} >= {("country:FR", "auc", 250), ("country:US", "rows", 400)}
    client.set_policy("scorer", Policy(gated_stages=("Staging",),
                                       required_slices=(parse_slice_requirement(
                                           "auc >= 0.8 for every slice with >= 200 rows"),)))
    with pytest.raises(Conflict) as refused:
        client.promote("scorer", 1, "Staging")
    fr_auc = next(s.value for s in found if s.slice == "country:FR" and s.metric == "auc")
    assert f"slices:auc: observed country:FR: auc {fr_auc:.4g} over 250 rows" in str(refused.value)
    assert "LU" not in str(refused.value)
    client.set_policy("scorer", Policy(gated_stages=("Staging",), required_slices=(
        parse_slice_requirement("auc >= 0.4 for every slice with >= 200 rows"),)))
    (gate,) = client.promote("scorer", 1, "Staging").gate_results
    assert gate.passed and gate.evidence["checked"] == 2 and gate.evidence["failing"] == []


@pytest.mark.parametrize("store_dir", ["server"], indirect=True)
def test_rest_routes_answer_and_refuse_bad_input_with_mlflow_codes(client: cairn.Client) -> None:
    url = cairn.get_tracking_uri()
    base = f"{url}/api/cairn/v1/model-versions"
    ok = httpx.post(f"{base}/requirements", json={"name": "scorer", "version": "1", "latency_p99": "25ms"})
    assert ok.status_code == 200 and ok.json()["requirements"]["latency_p99_ms"] == 25.0
    got = httpx.get(f"{base}/evidence", params={"name": "scorer", "version": 1}).json()
    assert got == {"requirements": ok.json()["requirements"], "benchmark": None}
    bad = httpx.post(f"{base}/requirements", json={"name": "scorer", "version": 1, "memory": "-1"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    bad_bench = httpx.post(f"{base}/benchmarks", json={"name": "scorer", "version": 1, "benchmark": {"p50_ms": -1}})
    assert bad_bench.status_code == 400 and bad_bench.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    missing = httpx.get(f"{base}/evidence", params={"name": "scorer", "version": 9})
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
