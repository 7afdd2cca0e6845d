"""Purging deleted runs: a run deleted (``lifecycle_stage=deleted``) longer ago than the grace
period goes for good, its metadata (params, tags, metric points, inputs, the logged models it
produced) and its files, one run per write transaction with a ``run_purged`` trail event.

Until then a deleted run can be restored whole. MLflow's ``mlflow gc`` does this job without a
grace period unless given ``--older-than``, without asking whether a registered model still needs
the run, and skipping artifacts it cannot resolve (behind an artifact proxy, unless
``MLFLOW_TRACKING_URI`` is set) while deleting the metadata, which leaves orphan files behind.
Here the grace period is ``DELETED_RUN_GRACE_DAYS`` unless ``cairn gc --grace-days`` says
otherwise; files and metadata go in one transaction (if the files cannot be deleted, the run
stays); and a run is kept (and reported kept) while:

* any registered version names it as its source, even one whose files were collected: the run is
  that version's lineage;
* its files hold what production may need (``production_holds``).
"""

from __future__ import annotations

from cairn.entities import Actor, CollectedRun
from cairn.errors import InvalidParameter
from cairn.store import run_retention as run_rows
from cairn.store.database import Database
from cairn.store.registry_retention import version_holds
from cairn.tracking.retention_trail import RUN_PURGED

from . import run_folders
from .production_holds import Holds, holds_of_run
from .retention import ARTIFACTS_DELETED_TAG
from .run_folders import RunFiles, RunFileStore

DAY_MS = 86_400_000
DELETED_RUN_GRACE_DAYS = 30
MAX_GRACE_DAYS = 36_500


def validate_grace_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_GRACE_DAYS:
        raise InvalidParameter(f"The deleted-run grace period must be a whole number of days from 0 to "
                               f"{MAX_GRACE_DAYS}, got {days!r}.")
    return days


def describe_grace(days: int) -> str:
    return f"the deleted-run grace period ({days} day{'' if days == 1 else 's'})"


def purge_deleted_runs(db: Database, store: RunFileStore, actor: Actor, at: int, holds: Holds, grace_days: int, *,
                       dry_run: bool) -> tuple[list[CollectedRun], list[str]]:
    """Purge the runs deleted at least ``grace_days`` before ``at``: the report, and the store paths
    deleted (or, in a dry run, that would be)."""
    policy = describe_grace(grace_days)
    with db.read() as tx:
        runs = run_rows.deleted_runs(tx, at - grace_days * DAY_MS)
        logged = run_rows.logged_model_locations(tx, [r.run_id for r in runs])
    report: list[CollectedRun] = []
    removed: list[str] = []
    for run in runs:
        files = run_folders.files_of(run, logged.get(run.run_id, []))
        reason = holds.lineage.get(run.run_id) or holds.reason_to_keep(run.run_id, list(files.folders))
        if reason is not None:
            report.append(run_folders.kept(files, RUN_PURGED, policy, reason))
            continue
        folders = run_folders.measure(store, files)
        if dry_run:
            report += run_folders.entries(files, folders, RUN_PURGED, policy, deleted_time=at)
            removed += files.folders
            continue
        done = _purge(db, store, files, folders, policy, actor, at, grace_days)
        report += done
        if done[0].deleted_time is not None:
            removed += files.folders
    return report, removed


def _purge(db: Database, store: RunFileStore, files: RunFiles, folders: list[run_folders.Folder], policy: str,
           actor: Actor, at: int, grace_days: int) -> list[CollectedRun]:
    run_id = files.run.run_id
    with db.write() as tx:
        current = run_rows.get_run_row(tx, run_id)
        if (current is None or current.lifecycle_stage != "deleted" or current.deleted_time is None
                or current.deleted_time > at - grace_days * DAY_MS):
            return [run_folders.kept(files, RUN_PURGED, policy, "it changed while the collector ran")]
        named = version_holds(tx, ARTIFACTS_DELETED_TAG, run_id=run_id)
        reason = (f"version {named[0].version} of '{named[0].name}' was registered from it (lineage)" if named
                  else holds_of_run(tx, run_id, list(files.folders), at))
        if reason is not None:
            return [run_folders.kept(files, RUN_PURGED, policy, reason)]
        # The rows first: if deleting the files then fails, the transaction keeps the run whole.
        run_rows.purge_run(tx, run_id, files.model_ids)
        run_folders.remove(tx, store, files, folders, RUN_PURGED, policy, actor, at)
    return run_folders.entries(files, folders, RUN_PURGED, policy, deleted_time=at)
