"""Run retention: an experiment's policy collects the artifacts of runs it does not keep, never
those production may need; blobs another run shares survive; a dry run changes nothing; every
deletion is in the retention trail, and reading a collected artifact says when and by which policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from cairn import registry
from cairn.entities import Actor, Dataset, DatasetInput
from cairn.errors import InvalidParameter, NotFound
from cairn.registry.transitions import DAY_MS
from cairn.tracking import experiments, retention_policies, retention_trail, run_data, runs
from cairn.tracking.locations import store_path_of

HOUR_MS = 3_600_000
SHARED = b"the same bytes in two runs\n" * 100
OPS = Actor("ops")


@dataclass
class Team:
    experiment_id: str
    runs: dict[str, str]  # label -> run id

    def root(self, db, label: str) -> str:
        return store_path_of(runs.get_run(db, self.runs[label]).info.artifact_uri)


def _finished_run(db, artifacts, clock, experiment_id: str, label: str, files: dict[str, bytes]) -> str:
    clock.advance(HOUR_MS)
    run = runs.create_run(db, experiment_id, "alice", run_name=label)
    root = store_path_of(run.info.artifact_uri)
    for path, data in files.items():
        artifacts.put_bytes(f"{root}/{path}", data)
    runs.update_run(db, run.run_id, "FINISHED", clock.now, None)
    return run.run_id


@pytest.fixture
def team(db, artifacts, clock, alice) -> Team:
    """Six finished runs of 'churn', oldest first: ``rollback`` (version 1, Production until
    replaced by version 2, so within its rollback window), ``production`` (version 2, in
    Production), ``shared`` (shares a file with ``newest``), ``plain``, then the two latest runs.
    The policy keeps the 2 latest runs."""
    experiment_id = experiments.create_experiment(db, "churn")
    labels = {}
    for label, files in [
        ("rollback", {"model/MLmodel": b"flavors: {}\n", "model/weights.bin": b"v1" * 1000}),
        ("production", {"model/MLmodel": b"flavors: {}\n", "model/weights.bin": b"v2" * 1000}),
        ("shared", {"data/shared.bin": SHARED, "notes.txt": b"only in the shared run\n"}),
        ("plain", {"plot.png": b"\x89PNG plain" * 50}),
        ("newer", {"plot.png": b"\x89PNG newer"}),
        ("newest", {"copy/shared.bin": SHARED}),
    ]:
        labels[label] = _finished_run(db, artifacts, clock, experiment_id, label, files)
    for label in ("rollback", "production"):
        version = registry.register_model(db, f"runs:/{labels[label]}/model", "churn-model", alice).version
        registry.promote(db, "churn-model", version, "Production", alice)
    retention_policies.set_retention_policy(db, experiment_id, 2, None, alice)
    return Team(experiment_id, labels)


def _by_run(report, team: Team) -> dict[str, object]:
    names = {v: k for k, v in team.runs.items()}
    return {names[c.run_id]: c for c in report.runs}


def test_keep_two_latest_deletes_older_runs_but_not_what_production_needs(db, artifacts, clock, team):
    clock.advance(DAY_MS)
    report = registry.collect_garbage(db, artifacts, OPS)
    entries = _by_run(report, team)
    assert {k for k, c in entries.items() if c.deleted_time is not None} == {"shared", "plain"}
    assert "source of version 2 of 'churn-model' (Production)" == entries["production"].kept_reason
    assert entries["rollback"].kept_reason.startswith("source of version 1 of 'churn-model' (Archived, kept for "
                                                      "rollback until")
    for label in ("shared", "plain"):
        assert artifacts.list(team.root(db, label)) == []
    for label in ("rollback", "production", "newer", "newest"):
        assert artifacts.list(team.root(db, label)) != []
    with artifacts.open(f"{team.root(db, 'newest')}/copy/shared.bin") as kept:
        assert kept.read() == SHARED


def test_dry_run_lists_what_would_go_and_changes_nothing(db, artifacts, clock, team):
    before = sorted(f.path for f in _walk(artifacts))
    report = registry.collect_garbage(db, artifacts, OPS, dry_run=True)
    would = {(c.run_name, c.files, c.bytes) for c in report.runs if c.deleted_time is not None}
    assert would == {("shared", 2, len(SHARED) + 23), ("plain", 1, 500)}
    # The shared blob stays (a kept run has it): only the other two files' content is freed.
    assert report.bytes_freed == 23 + 500
    assert sorted(f.path for f in _walk(artifacts)) == before
    assert [e.action for e in retention_trail.list_retention_events(db, team.experiment_id)] == ["policy_set"]


def test_each_deletion_is_in_the_trail_with_policy_time_and_actor(db, artifacts, clock, team):
    report = registry.collect_garbage(db, artifacts, OPS)
    events = [e for e in retention_trail.list_retention_events(db, team.experiment_id) if e.action == "artifacts_deleted"]
    assert {(e.run_id, e.location, e.files, e.bytes) for e in events} == {
        (c.run_id, c.location, c.files, c.bytes) for c in report.runs if c.deleted_time is not None}
    for event in events:
        assert (event.actor, event.timestamp) == ("ops", clock.now)
        assert event.policy == "the retention policy of experiment 'churn' (keep the 2 latest runs)"


def test_reading_a_collected_artifact_says_when_and_by_which_policy(db, artifacts, clock, team):
    registry.collect_garbage(db, artifacts, OPS)
    location = f"{team.root(db, 'plain')}/plot.png"
    with pytest.raises(NotFound) as caught, retention_trail.explained(db, location):
        artifacts.sha256(location)
    when = datetime.fromtimestamp(clock.now / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    assert caught.value.message == (
        f"Artifact '{location}' no longer exists: the artifacts of run {team.runs['plain']} were deleted on {when} "
        "by the retention policy of experiment 'churn' (keep the 2 latest runs) (cairn gc run by ops).")


def test_a_run_is_collected_once_and_storage_is_freed(db, artifacts, clock, team):
    first = registry.collect_garbage(db, artifacts, OPS)
    assert first.bytes_freed == 23 + 500
    again = registry.collect_garbage(db, artifacts, OPS)
    assert [c for c in again.runs if c.deleted_time is not None] == [] and again.bytes_freed == 0


def _walk(artifacts):
    from cairn.artifacts.inventory import walk_files

    return list(walk_files(artifacts))


def test_keep_days_keeps_recent_runs_whatever_their_rank(db, artifacts, clock, alice):
    experiment_id = experiments.create_experiment(db, "recent")
    old = _finished_run(db, artifacts, clock, experiment_id, "old", {"a.txt": b"old"})
    clock.advance(10 * DAY_MS)
    recent = [_finished_run(db, artifacts, clock, experiment_id, f"r{i}", {"a.txt": b"r%d" % i}) for i in range(3)]
    retention_policies.set_retention_policy(db, experiment_id, 1, 7, alice)
    report = registry.collect_garbage(db, artifacts, OPS)
    assert [c.run_id for c in report.runs if c.deleted_time is not None] == [old]
    assert all(artifacts.list(store_path_of(runs.get_run(db, r).info.artifact_uri)) for r in recent)


def test_a_run_still_running_keeps_its_artifacts(db, artifacts, clock, alice):
    experiment_id = experiments.create_experiment(db, "long")
    clock.advance(HOUR_MS)
    running = runs.create_run(db, experiment_id, "alice")
    artifacts.put_bytes(f"{store_path_of(running.info.artifact_uri)}/checkpoint.pt", b"weights")
    _finished_run(db, artifacts, clock, experiment_id, "later", {"a.txt": b"later"})
    retention_policies.set_retention_policy(db, experiment_id, 1, None, alice)
    (entry,) = registry.collect_garbage(db, artifacts, OPS).runs
    assert (entry.run_id, entry.kept_reason) == (running.run_id, "it is still running")


def test_the_run_holding_a_production_versions_training_data_is_kept(db, artifacts, clock, alice):
    experiment_id = experiments.create_experiment(db, "data")
    data_run = _finished_run(db, artifacts, clock, experiment_id, "prepare", {"train.csv": b"x,y\n1,2\n"})
    trainer = _finished_run(db, artifacts, clock, experiment_id, "train", {"model/MLmodel": b"flavors: {}\n"})
    source = f'{{"uri": "runs:/{data_run}/train.csv"}}'
    run_data.log_inputs(db, trainer, [DatasetInput(Dataset("churn-train", "ab" * 16, "artifact", source),
                                                   {"mlflow.data.context": "training"})])
    version = registry.register_model(db, f"runs:/{trainer}/model", "data-model", alice).version
    registry.promote(db, "data-model", version, "Production", alice)
    for i in range(2):
        _finished_run(db, artifacts, clock, experiment_id, f"later{i}", {"a.txt": b"%d" % i})
    retention_policies.set_retention_policy(db, experiment_id, 1, None, alice)
    kept = {c.run_id: c.kept_reason for c in registry.collect_garbage(db, artifacts, OPS).runs if c.kept_reason}
    assert kept[data_run] == ("holds dataset 'churn-train' (abababababab) that version 1 of 'data-model' "
                              "(Production) trained on")


def test_a_version_past_its_rollback_window_no_longer_holds_its_run(db, artifacts, clock, alice):
    experiment_id = experiments.create_experiment(db, "old-model")
    first = _finished_run(db, artifacts, clock, experiment_id, "v1", {"model/MLmodel": b"flavors: {}\n",
                                                                      "loss.png": b"\x89PNG"})
    second = _finished_run(db, artifacts, clock, experiment_id, "v2", {"model/MLmodel": b"flavors: {}\n"})
    for run_id in (first, second):
        version = registry.register_model(db, f"runs:/{run_id}/model", "old", alice).version
        registry.promote(db, "old", version, "Production", alice)
    retention_policies.set_retention_policy(db, experiment_id, 1, None, alice)
    clock.advance(31 * DAY_MS)
    report = registry.collect_garbage(db, artifacts, OPS)
    assert [(v.version, v.deleted_time) for v in report.versions] == [(1, clock.now)]
    assert [(c.run_id, c.files) for c in report.runs if c.deleted_time is not None] == [(first, 1)]
    assert registry.get_model_version(db, "old", 1).tags["cairn.artifacts_deleted_at"] == str(clock.now)


def test_setting_a_policy_checks_its_numbers(db, alice):
    with pytest.raises(InvalidParameter, match="give at least one"):
        retention_policies.set_retention_policy(db, "0", None, None, alice)
    with pytest.raises(InvalidParameter, match="keep_last must be a whole number from 1"):
        retention_policies.set_retention_policy(db, "0", 0, None, alice)
    with pytest.raises(InvalidParameter, match="keep_days must be a whole number from 0"):
        retention_policies.set_retention_policy(db, "0", None, -1, alice)
    with pytest.raises(NotFound, match="No Experiment with id=42"):
        retention_policies.set_retention_policy(db, "42", 3, None, alice)
    with pytest.raises(NotFound, match="has no retention policy"):
        retention_policies.clear_retention_policy(db, "0", alice)


def test_policy_changes_are_in_the_trail(db, alice):
    retention_policies.set_retention_policy(db, "0", 3, 30, alice)
    assert retention_policies.get_retention_policy(db, "0").keep_last == 3
    retention_policies.clear_retention_policy(db, "0", alice)
    assert retention_policies.get_retention_policy(db, "0") is None
    policy = "the retention policy of experiment 'Default' (keep the 3 latest runs and runs newer than 30 days)"
    assert [(e.action, e.policy) for e in retention_trail.list_retention_events(db, "0")] == [
        ("policy_cleared", policy), ("policy_set", policy)]
