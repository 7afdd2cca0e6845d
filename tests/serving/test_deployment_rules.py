"""Deployment configuration and the prediction log through the SDK, embedded and through a real
`cairn server` (the `store_dir` fixture runs each test both ways)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cairn
from cairn.errors import InvalidParameter, NotFound

FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0], "visits": [1, 7, 3, 9]})
LABELS = [0, 1, 0, 1]


def _register(versions: int) -> list[str]:
    """Versions 1..N of 'churn' (v1 in Production); their run ids."""
    from sklearn.linear_model import LogisticRegression

    run_ids = []
    for n in range(versions):
        with cairn.start_run() as run:
            model = LogisticRegression(C=10.0 ** n).fit(FEATURES, LABELS)
            cairn.log_model(model, "model", input_example=FEATURES, registered_model_name="churn")
            run_ids.append(run.info.run_id)
    cairn.Client().promote("churn", 1, "Production", reason="first ship")
    return run_ids


def _record(pid: str, request: str, arm: str, version: int, output: float, row: int = 0, at: int = 1_000,
            error: str | None = None) -> dict[str, object]:
    return {"prediction_id": pid, "request_id": request, "row_index": row, "timestamp": at, "model_name": "churn",
            "version": version, "arm": arm, "features": {"age": 30.0 + row, "visits": 2}, "output": output,
            "latency_ms": 1.5, "error": error}


def test_traffic_changes_are_validated_resolved_and_audited(store_dir: Path) -> None:
    _register(3)
    client = cairn.Client()
    config = client.set_deployment("churn", canary_version=2, canary_percent=10, reason="try v2", user="ana")
    assert (config.canary_version, config.canary_percent, config.revision) == (2, 10.0, 1)
    config = client.set_deployment("churn", shadow_version=3, user="ana")
    assert (config.canary_version, config.shadow_version, config.revision) == (2, 3, 2)
    plan = client.resolve_deployment("churn")
    assert (plan.primary_version, plan.canary_version, plan.canary_share, plan.shadow_version) == (1, 2, 0.1, 3)

    with pytest.raises(InvalidParameter, match="canary or an A/B test, not both"):
        client.set_deployment("churn", ab_version=3, ab_key="user_id")
    for percent in (0, 100, 150):
        with pytest.raises(InvalidParameter, match="above 0"):
            client.set_deployment("churn", canary_version=2, canary_percent=percent)
    with pytest.raises(NotFound):
        client.set_deployment("churn", shadow_version=9)
    with pytest.raises(NotFound):
        client.set_deployment("nobody", shadow_version=1)
    with pytest.raises(InvalidParameter, match="Cannot remove"):
        client.set_deployment("churn", remove=["everything"])
    with pytest.raises(InvalidParameter, match="needs the request key"):
        client.set_deployment("churn", remove=["canary"], ab_version=2)
    assert client.get_deployment("churn").revision == 2  # refused changes wrote nothing

    unchanged = client.set_deployment("churn", shadow_version=3)
    assert unchanged.revision == 2
    config = client.set_deployment("churn", remove=["canary"], ab_version=2, ab_split=50, ab_key="user_id")
    assert (config.canary_version, config.ab_version, config.ab_key) == (None, 2, "user_id")
    events = [e for e in client.audit("churn") if e.action == "deployment_set"]
    assert len(events) == 3 and all(e.actor == "ana" for e in events[:2])
    assert events[0].to_value == "primary Production, canary v2 10%" and events[0].reason == "try v2"

    client.promote("churn", 2, "Production", reason="v2 won")
    plan = client.resolve_deployment("churn")
    assert (plan.primary_version, plan.ab_version, plan.shadow_version) == (2, None, 3)  # no arm duplicates primary
    assert client.set_deployment("churn", clear=True).summary() == "primary Production"


def test_primary_follows_an_alias_or_a_pinned_reference(store_dir: Path) -> None:
    _register(2)
    client = cairn.Client()
    with pytest.raises(NotFound, match="alias"):
        client.set_deployment("churn", primary_alias="champion")
    client.set_registered_model_alias("churn", "champion", 2)
    client.set_deployment("churn", primary_alias="champion")
    assert client.resolve_deployment("churn").primary_version == 2
    assert client.resolve_deployment("churn", "churn/1").primary_version == 1
    with pytest.raises(NotFound, match="Staging"):
        client.resolve_deployment("churn", "churn/Staging")


def test_prediction_log_answers_what_made_a_prediction_and_compares_arms(store_dir: Path) -> None:
    run_ids = _register(2)
    client = cairn.Client()
    records = [_record(f"p{i}", f"r{i}", "primary", 1, float(i % 2), at=1_000 + i) for i in range(6)]
    records += [_record(f"s{i}", f"r{i}", "shadow", 2, float(i % 2) if i < 4 else 9.0, at=1_000 + i) for i in range(6)]
    records.append(_record("e1", "r9", "shadow", 2, 0.0, error="ValueError: boom"))
    assert client.log_predictions(records) == 13

    found = client.get_prediction("p3")
    assert (found.version, found.arm, found.run_id, found.output) == (1, "primary", run_ids[0], 1.0)
    assert found.features == {"age": 30.0, "visits": 2}
    client.log_outcome("p3", 1.0)
    client.log_outcome("p3", 0.0)  # a second outcome replaces the first
    assert client.get_prediction("p3").outcome == 0.0
    with pytest.raises(NotFound):
        client.log_outcome("missing", 1.0)

    newest = client.search_predictions("churn", arm="primary", max_results=2)
    assert [p.prediction_id for p in newest] == ["p5", "p4"]
    ones = client.search_predictions("churn", filter_string="output = 1 and features.visits >= 2 and arm = 'primary'")
    assert sorted(p.prediction_id for p in ones) == ["p1", "p3", "p5"]
    assert client.search_predictions("churn", version=2, filter_string="error is not null")[0].prediction_id == "e1"
    window = client.search_predictions("churn", since=1_004, until=1_005)
    assert sorted(p.prediction_id for p in window) == ["p4", "s4"]
    with pytest.raises(InvalidParameter, match="Cannot read the filter"):
        client.search_predictions("churn", filter_string="output ~ 1")

    comparison = client.compare_deployment("churn")
    arms = {arm.arm: arm for arm in comparison.arms}
    assert (arms["primary"].predictions, arms["shadow"].predictions, arms["shadow"].errors) == (6, 7, 1)
    assert arms["primary"].outcomes == 1 and arms["primary"].latency_p50_ms == 1.5
    (agreement,) = comparison.agreement
    assert (agreement.arm, agreement.against, agreement.pairs, agreement.agreed) == ("shadow", "primary", 6, 4)

    served = client.measure_drift(FEATURES, "predictions:churn")  # the six primary rows, not the shadow's
    assert served.current_rows == 6 and served.feature("visits").feature == "visits"
    with pytest.raises(NotFound, match="nothing by that name was served"):
        client.measure_drift(FEATURES, "predictions:nothing-served")


def test_a_malformed_prediction_batch_is_refused_whole(store_dir: Path) -> None:
    _register(1)
    client = cairn.Client()
    good = _record("ok1", "r1", "primary", 1, 1.0)
    for bad in ({**good, "arm": "sideways"}, {**good, "prediction_id": "x" * 40}, {**good, "latency_ms": -1},
                {k: v for k, v in good.items() if k != "version"}, {**good, "version": 0}):
        with pytest.raises(InvalidParameter):
            client.log_predictions([_record("ok2", "r2", "primary", 1, 1.0), bad])
    assert client.search_predictions("churn") == []


def test_lineage_shows_which_arm_of_the_deployment_a_version_serves(store_dir: Path) -> None:
    _register(3)
    client = cairn.Client()
    client.set_deployment("churn", canary_version=2, canary_percent=25, shadow_version=3)
    for version, arm, share in ((1, "primary", 0.75), (2, "canary", 0.25), (3, "shadow", 0.0)):
        lineage = client.lineage(f"models:/churn/{version}")
        (edge,) = [e for e in lineage.edges if e.relation == "deployed"]
        assert edge.target == "deployment:churn" and edge.attributes == {"arm": arm, "share": share}
    client.set_deployment("churn", remove=["shadow"])
    assert not [e for e in client.lineage("models:/churn/3").edges if e.relation == "deployed"]
