"""The stability window through the SDK on both backends and the REST routes: reading a model's
windows and watched gates, and reporting a breach by hand."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import cairn
from cairn.entities import Policy
from cairn.errors import Conflict, InvalidParameter, NotFound


@pytest.fixture
def client(store_dir: Path) -> cairn.Client:
    client = cairn.Client()
    run = client.create_run("0", run_name="train")
    client.log_text(run.run_id, "weights", "model/model.pkl")
    for _ in range(2):
        client.register_model(f"runs:/{run.run_id}/model", "churn")
    client.set_policy("churn", Policy(gated_stages=("Staging",), archive_previous_after_ms=3_600_000,
                                      max_canary_error_increase=0.05, min_canary_requests=10))
    client.promote("churn", 1, "Production")
    client.promote("churn", 2, "Production")
    return client


def test_stability_report_and_a_reported_breach(client: cairn.Client) -> None:
    report = client.get_stability("churn")
    assert report["watched"] == ["canary_errors"] and report["archive_previous_after_ms"] == 3_600_000
    (window,) = report["windows"]
    assert (window["standby"], window["production"], window["held"], window["breach"]) == (1, 2, False, None)
    assert window["until"] - window["since"] == 3_600_000
    (gate,) = window["watch"]["gates"]
    assert (gate["name"], gate["passed"], window["watch"]["breaches"]) == ("canary_errors", False, [])

    with pytest.raises(Conflict, match="not in Production"):
        client.record_gate_breach("churn", 1, "it is not serving")
    with pytest.raises(InvalidParameter, match="reason"):
        client.record_gate_breach("churn", 2, "")
    with pytest.raises(NotFound):
        client.get_stability("nope")
    event = client.record_gate_breach("churn", 2, "refund rate doubled", user="carol")
    assert (event["action"], event["version"], event["actor"], event["reason"]) == (
        "gate_breach", 2, "carol", "refund rate doubled")
    assert client.get_stability("churn")["windows"][0]["breach"]["event_id"] == event["event_id"]


@pytest.mark.parametrize("store_dir", ["server"], indirect=True)
def test_rest_routes_refuse_bad_input_with_mlflow_codes(client: cairn.Client) -> None:
    base = f"{cairn.get_tracking_uri()}/api/cairn/v1"
    missing = httpx.get(f"{base}/models/stability", params={"name": "nope"})
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    no_name = httpx.get(f"{base}/models/stability")
    assert no_name.status_code == 400 and no_name.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    bad_version = httpx.post(f"{base}/model-versions/gate-breach", json={"name": "churn", "version": "x",
                                                                         "reason": "r"})
    assert bad_version.status_code == 400 and bad_version.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    not_serving = httpx.post(f"{base}/model-versions/gate-breach", json={"name": "churn", "version": 1,
                                                                         "reason": "r"})
    assert not_serving.status_code == 409 and not_serving.json()["error_code"] == "INVALID_STATE"
    ok = httpx.post(f"{base}/model-versions/gate-breach", json={"name": "churn", "version": 2, "reason": "p99 x3"})
    assert ok.status_code == 200 and ok.json()["event"]["action"] == "gate_breach"
