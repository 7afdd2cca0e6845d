"""Run retention: an experiment's policy collects the artifacts of runs it does not keep, never
those production may need; blobs another run shares survive; a dry run changes nothing; every
deletion is in the retention trail, and reading a collected artifact says when and by which policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from cairn import registry
from cairn.entities import Actor
from cairn.errors import NotFound
from cairn.registry.transitions import DAY_MS
from cairn.tracking import experiments, retention_policies, retention_trail, runs
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
