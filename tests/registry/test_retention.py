"""Retention: archived versions lose their files once ``artifacts_retained_until`` has passed,
audited, never twice, and a collected version cannot be shipped or loaded again."""

from __future__ import annotations

import pytest

import cairn
from cairn import registry
from cairn.entities import Policy
from cairn.errors import Conflict
from cairn.client.models import load_model
from cairn.registry.retention import ARTIFACTS_DELETED_TAG
from cairn.registry.transitions import DAY_MS
from cairn.tracking import runs
from cairn.tracking.locations import store_path_of
from tests import backends

RETENTION_MS = 30 * DAY_MS


@pytest.fixture
def model_version(db, artifacts, alice):
    """``model_version()``: a new version of 'churn' with its own model folder in the store."""

    def make() -> int:
        run = runs.create_run(db, "0", "alice")
        artifacts.put_bytes(f"{store_path_of(run.info.artifact_uri)}/model/MLmodel", b"flavors: {}\n")
        return registry.register_model(db, f"runs:/{run.run_id}/model", "churn", alice).version

    return make


@pytest.fixture
def shipped_then_replaced(db, clock, model_version, alice):
    """Version 1 shipped, then replaced by version 2 (so 1 is Archived now)."""
    first, second = model_version(), model_version()
    registry.promote(db, "churn", first, "Production", alice)
    registry.promote(db, "churn", second, "Production", alice)
    return first, second


def _files_of(db, artifacts, number):
    return artifacts.exists(store_path_of(registry.get_model_version(db, "churn", number).files_location))


def test_expired_archived_version_loses_its_files_and_is_audited(db, artifacts, clock, alice,
                                                                 shipped_then_replaced):
    first, second = shipped_then_replaced
    clock.advance(RETENTION_MS)
    (collected,) = registry.collect_expired_artifacts(db, artifacts, alice)
    assert (collected.version, collected.deleted_time, collected.kept_reason) == (first, clock.now, None)
    assert not _files_of(db, artifacts, first) and _files_of(db, artifacts, second)
    version = registry.get_model_version(db, "churn", first)
    assert version.tags[ARTIFACTS_DELETED_TAG] == str(clock.now)
    (event,) = [e for e in registry.list_audit_events(db, "churn") if e.action == "artifacts_deleted"]
    assert (event.version, event.actor, event.details["source"]) == (first, "alice", version.source)
    assert event.details["location"] == version.files_location


def test_collected_version_is_not_collected_twice(db, artifacts, clock, alice, shipped_then_replaced):
    clock.advance(RETENTION_MS)
    assert len(registry.collect_expired_artifacts(db, artifacts, alice)) == 1
    clock.advance(RETENTION_MS)
    assert registry.collect_expired_artifacts(db, artifacts, alice) == []
    assert [e.action for e in registry.list_audit_events(db, "churn")].count("artifacts_deleted") == 1


def test_rollback_to_a_collected_version_is_refused_clearly(db, artifacts, clock, alice, shipped_then_replaced):
    first, second = shipped_then_replaced
    clock.advance(RETENTION_MS)
    registry.collect_expired_artifacts(db, artifacts, alice)
    with pytest.raises(Conflict, match=f"version {first}'s artifacts were deleted on .* after its retention ended"):
        registry.rollback(db, "churn", alice, reason="bad release")
    with pytest.raises(Conflict, match="artifacts were deleted"):
        registry.promote(db, "churn", first, "Staging", alice)
    assert registry.get_model_version(db, "churn", second).current_stage == "Production"
    assert registry.get_model_version(db, "churn", first).current_stage == "Archived"


def test_loading_a_collected_version_is_refused_clearly(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    with backends.embedded_store(tmp_path / "store") as uri:
        _load_a_collected_version(cairn.Client(uri), clock)


def _load_a_collected_version(client, clock):
    run = client.create_run("0")
    client.log_text(run.run_id, "flavors: {}\n", "model/MLmodel")
    for _ in range(2):
        client.register_model(f"runs:/{run.run_id}/model", "churn")
    client.promote("churn", 1, "Production", user="alice")
    client.promote("churn", 2, "Production", user="alice")
    clock.advance(RETENTION_MS)
    (kept,) = client.collect_expired_artifacts(user="ops")
    assert kept.kept_reason is not None and "version 2" in kept.kept_reason
    client.delete_model_version("churn", 2)
    (collected,) = client.collect_expired_artifacts(user="ops")
    assert collected.deleted_time == clock.now
    with pytest.raises(Conflict, match="version 1's artifacts were deleted on 2023-12-14"):
        load_model("models:/churn/1", client=client)


def test_version_inside_its_retention_keeps_its_files(db, artifacts, clock, alice, shipped_then_replaced):
    first, _ = shipped_then_replaced
    clock.advance(RETENTION_MS - 1)
    assert registry.collect_expired_artifacts(db, artifacts, alice) == []
    assert _files_of(db, artifacts, first)


def test_version_promoted_again_before_expiry_keeps_its_files(db, artifacts, clock, alice, shipped_then_replaced):
    first, _ = shipped_then_replaced
    clock.advance(DAY_MS)
    registry.rollback(db, "churn", alice, reason="regression")
    clock.advance(RETENTION_MS)
    (collected,) = registry.collect_expired_artifacts(db, artifacts, alice)
    assert collected.version != first and _files_of(db, artifacts, first)
    assert registry.get_model_version(db, "churn", first).artifacts_retained_until is None


def test_dry_run_reports_and_deletes_nothing(db, artifacts, clock, alice, row_counts, shipped_then_replaced):
    first, _ = shipped_then_replaced
    clock.advance(RETENTION_MS)
    before = row_counts()
    (would,) = registry.collect_expired_artifacts(db, artifacts, alice, dry_run=True)
    assert (would.version, would.deleted_time) == (first, clock.now)
    assert row_counts() == before and _files_of(db, artifacts, first)
    assert ARTIFACTS_DELETED_TAG not in registry.get_model_version(db, "churn", first).tags


def test_files_shared_with_a_live_version_are_kept(db, artifacts, clock, make_versions, alice):
    make_versions(2)  # both from the same run folder
    registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 2, "Production", alice)
    clock.advance(RETENTION_MS)
    (kept,) = registry.collect_expired_artifacts(db, artifacts, alice)
    assert (kept.version, kept.deleted_time) == (1, None) and "version 2 of 'churn'" in kept.kept_reason


def test_retention_period_follows_the_model_policy(db, artifacts, clock, alice, model_version):
    first, second = model_version(), model_version()
    registry.set_policy(db, "churn", Policy(retention_days=1), alice)
    registry.promote(db, "churn", first, "Production", alice)
    registry.promote(db, "churn", second, "Production", alice)
    clock.advance(DAY_MS)
    assert [c.version for c in registry.collect_expired_artifacts(db, artifacts, alice)] == [first]
