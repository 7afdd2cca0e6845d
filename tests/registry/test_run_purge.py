"""Purging deleted runs: after the grace period a deleted run goes for good, its metadata, its
files and the logged models it produced, in one audited step; a run a registered version names is
kept; reading what was purged says when and why."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cairn import registry
from cairn.entities import Actor, Metric, Param
from cairn.errors import InvalidParameter, NotFound
from cairn.registry.run_purge import DELETED_RUN_GRACE_DAYS
from cairn.registry.transitions import DAY_MS
from cairn.tracking import logged_models, retention_trail, run_data, runs
from cairn.tracking.locations import store_path_of

OPS = Actor("ops")
GRACE_MS = DELETED_RUN_GRACE_DAYS * DAY_MS


@pytest.fixture
def deleted_run(db, artifacts, clock):
    """A finished run with a param, a metric history, a file and a logged model, then deleted."""
    run = runs.create_run(db, "0", "alice")
    run_data.log_batch(db, run.run_id, metrics=[Metric("loss", 1.0 / (s + 1), clock.now, s) for s in range(5)],
                       params=[Param("lr", "0.1")])
    artifacts.put_bytes(f"{store_path_of(run.info.artifact_uri)}/plot.png", b"\x89PNG" * 10)
    model = logged_models.create_logged_model(db, "0", "clf", source_run_id=run.run_id)
    artifacts.put_bytes(f"{store_path_of(model.artifact_location)}/MLmodel", b"flavors: {}\n")
    runs.update_run(db, run.run_id, "FINISHED", clock.now, None)
    runs.delete_run(db, run.run_id)
    return run, model


def _count(db, table: str, run_id: str) -> int:
    with db.read() as tx:
        return tx.execute(text(f"SELECT COUNT(*) FROM {table} WHERE run_id = :run_id"), {"run_id": run_id}).scalar_one()


def test_a_run_deleted_longer_than_the_grace_period_is_purged_whole(db, artifacts, clock, deleted_run):
    run, model = deleted_run
    clock.advance(GRACE_MS)
    report = registry.collect_garbage(db, artifacts, OPS)
    assert {(c.action, c.location, c.files) for c in report.runs} == {
        ("run_purged", store_path_of(run.info.artifact_uri), 1),
        ("run_purged", store_path_of(model.artifact_location), 1),
    }
    assert report.bytes_freed == 40 + 12
    assert [_count(db, t, run.run_id) for t in ("runs", "params", "tags", "latest_metrics")] == [0, 0, 0, 0]
    with db.read() as tx:
        assert tx.exec_driver_sql("SELECT COUNT(*) FROM metrics").scalar_one() == 0
    with pytest.raises(NotFound, match=f"Run with id={run.run_id} not found: it was purged on .* by the deleted-run "
                                       r"grace period \(30 days\) \(cairn gc run by ops\)"):
        runs.get_run(db, run.run_id)
    with pytest.raises(NotFound):
        logged_models.get_logged_model(db, model.model_id, allow_deleted=True)
    location = f"{store_path_of(model.artifact_location)}/MLmodel"
    assert "was purged on" in retention_trail.explain_missing(db, location)


def test_a_run_inside_its_grace_period_stays_restorable(db, artifacts, clock, deleted_run):
    run, _ = deleted_run
    clock.advance(GRACE_MS - 1)
    assert registry.collect_garbage(db, artifacts, OPS).runs == ()
    runs.restore_run(db, run.run_id)
    assert runs.get_run(db, run.run_id).data.params == {"lr": "0.1"}


def test_the_grace_period_is_an_option(db, artifacts, clock, deleted_run):
    run, _ = deleted_run
    clock.advance(DAY_MS)
    report = registry.collect_garbage(db, artifacts, OPS, grace_days=1)
    assert {c.run_id for c in report.runs} == {run.run_id}
    assert all(c.policy == "the deleted-run grace period (1 day)" for c in report.runs)
    with pytest.raises(InvalidParameter, match="grace period must be a whole number of days"):
        registry.collect_garbage(db, artifacts, OPS, grace_days=-1)


def test_a_deleted_run_a_version_names_is_kept_for_its_lineage(db, artifacts, clock, alice):
    run = runs.create_run(db, "0", "alice")
    artifacts.put_bytes(f"{store_path_of(run.info.artifact_uri)}/model/MLmodel", b"flavors: {}\n")
    registry.register_model(db, f"runs:/{run.run_id}/model", "kept", alice)
    runs.delete_run(db, run.run_id)
    clock.advance(GRACE_MS)
    (entry,) = registry.collect_garbage(db, artifacts, OPS).runs
    assert entry.kept_reason == "version 1 of 'kept' was registered from it (lineage)"
    assert runs.get_run(db, run.run_id).info.lifecycle_stage == "deleted"


def test_a_dry_run_purges_nothing(db, artifacts, clock, deleted_run):
    run, _ = deleted_run
    clock.advance(GRACE_MS)
    report = registry.collect_garbage(db, artifacts, OPS, dry_run=True)
    assert {c.run_id for c in report.runs} == {run.run_id} and report.bytes_freed == 52
    assert runs.get_run(db, run.run_id).data.params == {"lr": "0.1"}
    assert artifacts.exists(f"{store_path_of(run.info.artifact_uri)}/plot.png")
    assert retention_trail.list_retention_events(db) == []
