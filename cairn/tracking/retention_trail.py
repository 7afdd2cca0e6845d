"""The retention trail: what retention and garbage collection deleted, when, by which policy and
on whose command; and what it tells a reader who asks for something that is gone.

Each deletion is one event naming the store path that went (a run's artifact folder, a logged
model's). A read that finds nothing at a location asks ``explain_missing`` whether that place or
any folder above it was collected: if so the reader gets a ``NotFound`` that says when and by
which policy, instead of a bare "no artifact". ``explained`` wraps a read with that question, so
every door to the files (the SDK, the CLI, the REST routes, the mlflow artifact proxy and the web
UI) answers alike; ``explain_missing_run`` does the same for a purged run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from cairn.artifacts.paths import clean_relative_path
from cairn.entities import RetentionEvent
from cairn.errors import InvalidParameter, NotFound
from cairn.store import retention_events as rows
from cairn.store.database import Database

from .validation import parse_experiment_id, validate_max_results

ARTIFACTS_DELETED = "artifacts_deleted"  # a run's files removed under its experiment's retention policy
RUN_PURGED = "run_purged"  # a deleted run removed, metadata and files, after its grace period
POLICY_SET = "policy_set"
POLICY_CLEARED = "policy_cleared"
DELETIONS = (ARTIFACTS_DELETED, RUN_PURGED)
MAX_EVENTS = 10_000


def list_retention_events(db: Database, experiment_id: str | None = None, run_id: str | None = None,
                          max_results: int = 1000) -> list[RetentionEvent]:
    """The trail, newest first, optionally of one experiment and/or one run."""
    limit = validate_max_results(max_results, MAX_EVENTS)
    key = parse_experiment_id(experiment_id) if experiment_id is not None else None
    if run_id is not None and (not isinstance(run_id, str) or not run_id):
        raise InvalidParameter("run_id must be a run id.")
    with db.read() as tx:
        return rows.list_events(tx, experiment_id=key, run_id=run_id, limit=limit)


def explain_missing(db: Database, location: str) -> str | None:
    """Why nothing is at ``location`` (a store path), when retention deleted it or a folder above
    it; None when the trail knows nothing of it."""
    try:
        relative = clean_relative_path(location, allow_empty=False)
    except InvalidParameter:
        return None
    parts = relative.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    with db.read() as tx:
        event = rows.latest_at_locations(tx, ancestors, DELETIONS)
    if event is None:
        return None
    what = "the artifacts of run" if event.action == ARTIFACTS_DELETED else "run"
    return (f"Artifact '{relative}' no longer exists: {what} {event.run_id} "
            f"{'were deleted' if event.action == ARTIFACTS_DELETED else 'was purged'} on {_date(event.timestamp)} "
            f"by {event.policy} (cairn gc run by {event.actor}).")


def explain_missing_run(db: Database, run_id: str) -> str | None:
    """Why run ``run_id`` does not exist ("it was purged on ..."), when garbage collection purged
    it; else None."""
    with db.read() as tx:
        found = rows.list_events(tx, run_id=run_id, actions=(RUN_PURGED,), limit=1)
    if not found:
        return None
    event = found[0]
    return f"it was purged on {_date(event.timestamp)} by {event.policy} (cairn gc run by {event.actor})."


@contextmanager
def explained(db: Database, location: str) -> Iterator[None]:
    """Turn a ``NotFound`` raised while reading ``location`` into one that says when and by which
    policy retention deleted it, when it did."""
    try:
        yield
    except NotFound as exc:
        reason = explain_missing(db, location)
        if reason is None:
            raise
        raise NotFound(reason) from exc


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
