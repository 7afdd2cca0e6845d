"""``cairn predictions explain`` (and its REST route and SDK method) against a real `cairn server`:
the version and its run, the arm and the traffic rule, features, flags, output, outcome, and the
gates the version passed on its way to production."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import cairn
from cairn.errors import NotFound
from cairn.tracking import clock

FLAG = {"feature": "age", "kind": "out_of_range", "value": 150, "expected": "[18, 70]"}


@pytest.fixture(scope="module")
def shipped(server_factory: Callable[..., Any]) -> tuple[str, str]:
    """A server whose model 'risk' v1 passed an auc gate into Production, with a canary on v2 and
    two logged predictions: p1 (primary, flagged, outcome 1) and p2 (canary)."""
    server = server_factory()
    client = cairn.Client(tracking_uri=server.url)
    run = client.create_run("0", run_name="train")
    client.log_metric(run.run_id, "auc", 0.91)
    client.log_text(run.run_id, "weights", "model/model.pkl")
    for _ in range(2):
        client.register_model(f"runs:/{run.run_id}/model", "risk")
    client.set_policy("risk", {"required_metrics": ["auc >= 0.8"]}, reason="ship on evidence")
    client.promote("risk", 1, "Staging", reason="tests pass")
    client.promote("risk", 1, "Production", reason="auc is good")
    client.set_deployment("risk", canary_version=2, canary_percent=10, reason="try v2")
    now = clock.now_ms()
    base = {"request_id": "r1", "row_index": 0, "timestamp": now, "model_name": "risk", "latency_ms": 1.5}
    client.log_predictions([
        {**base, "prediction_id": "p1", "version": 1, "arm": "primary", "features": {"age": 150, "plan": "pro"},
         "output": 0.93, "flags": [FLAG]},
        {**base, "prediction_id": "p2", "request_id": "r2", "version": 2, "arm": "canary",
         "features": {"age": 40, "plan": "pro"}, "output": 0.2},
    ])
    client.log_outcome("p1", 1)
    return server.url, run.run_id


def test_explain_through_the_sdk_names_every_part(shipped: tuple[str, str]) -> None:
    url, run_id = shipped
    explained = cairn.Client(tracking_uri=url).explain_prediction("p1")
    assert explained["version"]["version"] == 1 and explained["version"]["run_id"] == run_id
    assert explained["version"]["current_stage"] == "Production"
    assert explained["arm"] == "primary"
    assert explained["traffic_rule"]["rule"] == ("primary: the Production version, answering every request the "
                                                 "canary (10%) did not take")
    assert explained["traffic_rule"]["reason"] == "try v2"
    assert explained["features"] == {"age": 150, "plan": "pro"}
    assert explained["flags"] == [FLAG]
    assert explained["output"] == 0.93 and explained["outcome"] == 1.0
    steps = [(s["action"], s["from_stage"], s["to_stage"]) for s in explained["gates"]]
    assert steps == [("promote", "None", "Staging"), ("promote", "Staging", "Production")]
    gates = {g["name"]: g for g in explained["gates"][-1]["gate_results"]}
    metric_gate = next(g for name, g in gates.items() if "auc" in name)
    assert metric_gate["passed"] and "0.91" in metric_gate["observed"]

    canary = cairn.Client(tracking_uri=url).explain_prediction("p2")
    assert canary["arm"] == "canary" and canary["traffic_rule"]["rule"].startswith("canary: 10% of requests")
    assert canary["gates"] == [] and canary["outcome"] is None and canary["flags"] == []


def test_explain_errors_are_clear_over_rest(shipped: tuple[str, str]) -> None:
    url, _ = shipped
    missing = httpx.get(url + "/api/cairn/v1/predictions/explain", params={"prediction_id": "nope"}, timeout=10)
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    bad = httpx.get(url + "/api/cairn/v1/predictions/explain", params={"prediction_id": "a b"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    with pytest.raises(NotFound, match="nope"):
        cairn.Client(tracking_uri=url).explain_prediction("nope")


def test_cairn_predictions_explain_prints_the_page_and_json(shipped: tuple[str, str], make_cli: Callable[..., Any],
                                                           tmp_path: Path) -> None:
    url, run_id = shipped
    cli = make_cli(url, tmp_path, 200)
    cli.prefetch([("predictions", "explain", "p1", "--json"), ("predictions", "explain", "p1"),
                  ("predictions", "explain", "nope")])
    doc = cli("predictions", "explain", "p1", "--json").json()["explanation"]
    assert doc["prediction_id"] == "p1" and doc["flags"] == [FLAG]
    text = cli("predictions", "explain", "p1").stdout
    for part in ("risk v1", run_id, "Traffic rule", "canary (10%)", "age = 150", "expected [18, 70]",
                 "Outcome", "promote Staging → Production", "auc"):
        assert part in text, part
    missing = cli("predictions", "explain", "nope")
    assert missing.returncode != 0 and "nope" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert json.loads(cli("predictions", "explain", "p1", "--json").stdout)["explanation"]["outcome"] == 1.0
