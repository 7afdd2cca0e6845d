"""Run retention: each experiment's policy decides which runs keep their artifacts; the rest go,
unless production may need them.

For every experiment with a retention policy (``cairn.tracking.retention_policies``), each run the
policy does not keep loses its files (its artifact folder and its logged models' folders), one
run per write transaction, unless:

* it is still running (RUNNING or SCHEDULED): it may be writing them;
* a version registered from it still keeps its files, or its files hold such a version's or a
  dataset such a version trained on (``production_holds``);
* it was collected before (a run is collected once; its trail entries say so).

Each run's deletion writes one ``artifacts_deleted`` event per folder (policy, time, actor, files,
bytes) in the same transaction as the files go; just before, what holds the run is read again in
that transaction, so a version registered or promoted since the plan was made keeps it. Deleted
runs are left to ``run_purge``. Freeing the storage of content no one shares any more is the
artifact store's ``collect_garbage``, which ``garbage`` calls once at the end.
"""

from __future__ import annotations

from cairn.entities import Actor, CollectedRun, RunStatus
from cairn.store import retention_events as trail
from cairn.store import retention_policies as policy_rows
from cairn.store import run_retention as run_rows
from cairn.store.database import Database
from cairn.tracking.retention_policies import describe_policy, runs_kept
from cairn.tracking.retention_trail import ARTIFACTS_DELETED, DELETIONS

from . import run_folders
from .production_holds import Holds, holds_of_run
from .run_folders import RunFiles, RunFileStore

UNFINISHED = (RunStatus.RUNNING.value, RunStatus.SCHEDULED.value)
_CHANGED = "it changed while the collector ran"


def collect_run_artifacts(db: Database, store: RunFileStore, actor: Actor, at: int, holds: Holds, *,
                          dry_run: bool) -> tuple[list[CollectedRun], list[str]]:
    """Apply every experiment's policy at ``at``: the report, and the store paths deleted (or,
    in a dry run, that would be)."""
    with db.read() as tx:
        plans = []
        for policy, name in policy_rows.policies_with_names(tx):
            runs = run_rows.active_runs(tx, int(policy.experiment_id))
            keep = runs_kept(policy, runs, at)
            plans.append((describe_policy(policy, name), [r for r in runs if r.run_id not in keep]))
        ids = [r.run_id for _, candidates in plans for r in candidates]
        collected = trail.runs_with_events(tx, ids, DELETIONS)
        logged = run_rows.logged_model_locations(tx, ids)
    report: list[CollectedRun] = []
    removed: list[str] = []
    for policy, candidates in plans:
        for run in candidates:
            if run.run_id in collected:
                continue
            files = run_folders.files_of(run, logged.get(run.run_id, []))
            if not files.folders:
                continue  # its artifacts are in a remote store Cairn never touches
            reason = "it is still running" if run.status in UNFINISHED else holds.reason_to_keep(
                run.run_id, list(files.folders))
            if reason is not None:
                report.append(run_folders.kept(files, ARTIFACTS_DELETED, policy, reason))
                continue
            folders = run_folders.measure(store, files)
            if not folders:
                continue
            if dry_run:
                report += run_folders.entries(files, folders, ARTIFACTS_DELETED, policy, deleted_time=at)
                removed += files.folders
                continue
            done = _collect(db, store, files, folders, policy, actor, at)
            report += done
            if done[0].deleted_time is not None:
                removed += files.folders
    return report, removed


def _collect(db: Database, store: RunFileStore, files: RunFiles, folders: list[run_folders.Folder], policy: str,
             actor: Actor, at: int) -> list[CollectedRun]:
    with db.write() as tx:
        current = run_rows.get_run_row(tx, files.run.run_id)
        if current is None or current.lifecycle_stage != "active" or current.status in UNFINISHED:
            return [run_folders.kept(files, ARTIFACTS_DELETED, policy, _CHANGED)]
        reason = holds_of_run(tx, files.run.run_id, list(files.folders), at)
        if reason is not None:
            return [run_folders.kept(files, ARTIFACTS_DELETED, policy, reason)]
        run_folders.remove(tx, store, files, folders, ARTIFACTS_DELETED, policy, actor, at)
    return run_folders.entries(files, folders, ARTIFACTS_DELETED, policy, deleted_time=at)
