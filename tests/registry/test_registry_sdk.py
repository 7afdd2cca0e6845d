"""The registry through the SDK: ``Client`` methods and ``cairn.register_model`` on an embedded store."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import cairn
from cairn.entities import MetricRequirement, Policy
from cairn.errors import Conflict, InvalidParameter, NotFound, PermissionDenied


@pytest.fixture
def client(store_dir: Path) -> cairn.Client:
    return cairn.Client()


def _logged_model_run(client: cairn.Client, auc: float = 0.9) -> str:
    run = client.create_run("0")
    client.log_metric(run.run_id, "auc", auc)  # queued: promote must flush it before the gates read it
    client.log_text(run.run_id, "weights", "model/model.pkl")
    return run.run_id


def test_fluent_register_model_registers_the_active_runs_model(store_dir, tmp_path):
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(b"weights")
    with cairn.start_run() as run:
        cairn.log_artifact(model_file, "model")
        version = cairn.register_model(f"runs:/{run.info.run_id}/model", "churn", tags={"stage": "candidate"})
    assert (version.name, version.version, version.run_id, version.tags) == (
        "churn", 1, run.info.run_id, {"stage": "candidate"})
    files = cairn.Client().list_model_version_artifacts(version)
    assert [(f.path, f.file_size) for f in files] == [("model.pkl", 7)]


def test_source_is_kept_as_given_and_the_files_are_read_where_it_points(client):
    run_id = _logged_model_run(client)
    created = client.create_model_version(client.create_registered_model("churn").name, f"runs:/{run_id}/model")
    assert (created.source, created.run_id) == (f"runs:/{run_id}/model", run_id)
    for version in (client.register_model("models:/churn/1", "churn-copy"), client.get_model_version("churn", 1),
                    client.resolve_model_version("churn-copy/1")):
        assert [f.path for f in client.list_model_version_artifacts(version)] == ["model.pkl"], version.name
    assert client.get_model_version("churn-copy", 1).source == "models:/churn/1"


def test_remote_source_is_recorded_as_external_and_never_loaded(client):
    client.register_model("s3://bucket/models/churn", "churn")
    shown = client.resolve_model_version("churn/1")
    assert (shown.source, shown.external, shown.files_location) == ("s3://bucket/models/churn", True, None)
    assert client.list_model_version_artifacts(shown) == []
    with pytest.raises(InvalidParameter, match="its files are outside Cairn's artifact store"):
        cairn.load_model("models:/churn/1")


def test_client_records_cairn_user_as_the_unverified_actor(client, monkeypatch):
    monkeypatch.setenv("CAIRN_USER", "dana")
    client.register_model(f"runs:/{_logged_model_run(client)}/model", "churn")
    client.promote("churn", 1, "Staging", reason="eval ok")
    client.promote("churn", 1, "Production", user="erin")
    events = client.audit("churn")
    assert [(e.action, e.actor, e.actor_verified) for e in events] == [
        ("model_created", "dana", False), ("version_created", "dana", False), ("promote", "dana", False),
        ("promote", "erin", False)]


def test_promote_flushes_queued_metrics_before_the_gates_read_them(client):
    client.register_model(f"runs:/{_logged_model_run(client, auc=0.93)}/model", "churn")
    client.set_policy("churn", {"required_metrics": ["auc >= 0.9"]}, reason="bar")
    outcome = client.promote("churn", 1, "Production")
    assert [(g.name, g.observed) for g in outcome.gate_results] == [("metric:auc", "0.93")]
    assert client.get_policy("churn").required_metrics == (MetricRequirement("auc", ">=", 0.9),)


def test_signoff_round_trip_through_the_client(client):
    client.register_model(f"runs:/{_logged_model_run(client)}/model", "churn")
    client.set_policy("churn", Policy(require_signoff=True))
    pending = client.promote("churn", 1, "Production", user="alice")
    assert not pending.applied and client.list_transition_requests("churn")[0].requested_by == "alice"
    with pytest.raises(PermissionDenied):
        client.approve_transition("churn", 1, user="alice")
    approved = client.approve_transition("churn", 1, user="bob", comment="ok")
    assert approved.model_version.current_stage == "Production"


def test_rollback_timeline_and_production_at_through_the_client(client):
    run_id = _logged_model_run(client)
    for _ in range(2):
        client.register_model(f"runs:/{run_id}/model", "churn")
    client.transition_model_version_stage("churn", 1, "Production")
    client.transition_model_version_stage("churn", "2", "Production")
    with pytest.raises(Conflict):
        client.rollback_model("churn", reason="x", version=2)
    outcome = client.rollback("churn", reason="errors")
    assert outcome.model_version.version == 1
    intervals = client.timeline("churn")
    assert [i.version for i in intervals] == [1, 2, 1]
    at = datetime.fromtimestamp(intervals[1].start / 1000, tz=timezone.utc)
    assert client.production_version_at("churn", at).version == 2
    assert client.production_version_at("churn", intervals[0].start - 1) is None


def test_aliases_and_refs_through_the_client(client):
    client.register_model(f"runs:/{_logged_model_run(client)}/model", "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    assert client.get_model_version_by_alias("churn", "champion").version == 1
    assert client.resolve_model_version("churn@champion").version == 1
    client.delete_registered_model_alias("churn", "champion")
    with pytest.raises(NotFound):
        client.resolve_model_version("churn@champion")


def test_an_alias_that_is_not_set_is_not_found_in_both_modes(client):
    client.register_model(f"runs:/{_logged_model_run(client)}/model", "churn")
    before = client.audit("churn")
    with pytest.raises(NotFound, match="alias champion not found"):
        client.get_model_version_by_alias("churn", "champion")
    with pytest.raises(NotFound, match="alias champion not found"):
        client.delete_registered_model_alias("churn", "champion")
    with pytest.raises(InvalidParameter, match="reserved"):
        client.get_model_version_by_alias("churn", "v1")
    with pytest.raises(NotFound):
        client.delete_registered_model_alias("no-such-model", "champion")
    assert client.audit("churn") == before
