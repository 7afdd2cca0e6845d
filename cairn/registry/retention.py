"""Retention of archived versions: once ``artifacts_retained_until`` has passed, their files go.

An archived version keeps its files for its model's policy ``retention_days`` (default 30;
``cairn models policy set NAME --retention-days N``), so a rollback always has its model. Moving
it back to Staging or Production clears the date, so it is never collected. ``collect_expired_artifacts``
deletes the files of every version still Archived whose date has passed, one version per write
transaction: the version is marked with the system tag ``cairn.artifacts_deleted_at`` (ms since
the epoch), an ``artifacts_deleted`` audit event is recorded and the files are removed, and if
removing them fails the mark and the event roll back. A marked version is never collected again,
and promoting, rolling back to or loading it is refused with ``refuse_collected``'s message.

A version whose files are also another version's (two versions registered from one run's
``model`` folder, or a copy made with ``models:/NAME/VERSION``) keeps them while any such version
still has its files. Versions whose files are outside Cairn's store (an ``s3://`` source, a run
on another server) have nothing here to delete and are never collected. The ``cairn.`` tag
prefix is Cairn's: a user who sets ``cairn.artifacts_deleted_at`` by hand retires the version.

``keeps_files`` is the rule's one home: run retention (``run_retention``) asks it too, so a run
whose version still keeps its files (any stage but Archived, or Archived within the rollback
window) keeps its artifacts whatever the experiment's policy says.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Protocol

from cairn.entities import Actor, CollectedArtifacts, ModelStage, ModelVersion
from cairn.errors import Conflict, InvalidParameter, NotFound
from cairn.store import registry_retention as files_rows
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.store.registry_retention import VersionFiles
from cairn.tracking import clock
from cairn.tracking.locations import store_path_of

from . import actions, audit
from .models import require_model
from .refs import require_version

log = logging.getLogger(__name__)

ARTIFACTS_DELETED_TAG = "cairn.artifacts_deleted_at"
ARCHIVED = ModelStage.ARCHIVED.value


class ArtifactDeleter(Protocol):
    def delete(self, location: str) -> None:
        """Remove the file or subtree at ``location``; ``NotFound`` when nothing is there."""

    def collect_garbage(self) -> int:
        """Free the storage no location references any more."""


def collect_expired_artifacts(
    db: Database,
    artifacts: ArtifactDeleter,
    actor: Actor,
    now: int | None = None,
    *,
    dry_run: bool = False,
) -> list[CollectedArtifacts]:
    """Delete the files of archived versions whose retention ended before ``now`` (default: the
    clock) and return what was deleted or kept; ``dry_run`` only reports what would go."""
    if not isinstance(dry_run, bool):
        raise InvalidParameter("dry_run must be true or false.")
    report, _ = expire_versions(db, artifacts, actor, clock.now_ms() if now is None else now, dry_run=dry_run)
    if not dry_run and any(r.deleted_time is not None for r in report):
        artifacts.collect_garbage()
    return report


def expire_versions(db: Database, artifacts: ArtifactDeleter, actor: Actor, at: int, *,
                    dry_run: bool) -> tuple[list[CollectedArtifacts], list[str]]:
    """``collect_expired_artifacts`` without freeing the storage: the report, and the store paths
    whose files were deleted (or would be)."""
    with db.read() as tx:
        everything = files_rows.versions_with_files(tx, ARTIFACTS_DELETED_TAG)
    expired = [v for v in everything if _is_expired(v, at)]
    leaving = {(v.key, v.version) for v in expired}
    report, removed = [], []
    for candidate in expired:
        sharer = _sharing_version(candidate, [v for v in everything if (v.key, v.version) not in leaving])
        if sharer is not None:
            reason = f"its files are also version {sharer.version} of '{sharer.name}', which keeps them"
            report.append(_entry(candidate, kept_reason=reason))
            continue
        entry = _entry(candidate, deleted_time=at) if dry_run else _collect(db, artifacts, candidate, actor, at)
        report.append(entry)
        if entry.deleted_time is not None:
            removed.append(store_path_of(candidate.location))
    return report, removed


def keeps_files(stage: str, retained_until: int | None, at: int) -> bool:
    """Whether a version (not yet collected) must keep its files at ``at``: any version but an
    Archived one whose retention (the model's rollback window) has ended."""
    return not (stage == ARCHIVED and retained_until is not None and retained_until <= at)


def refuse_collected(version: ModelVersion, what: str) -> None:
    """``Conflict`` if ``version``'s files were deleted; ``what`` is the refused action."""
    deleted = version.tags.get(ARTIFACTS_DELETED_TAG)
    if deleted is None:
        return
    raise Conflict(
        f"Cannot {what} version {version.version} of '{version.name}': version {version.version}'s artifacts "
        f"were deleted on {_date(deleted)} after its retention ended; register the model again from its "
        "run (cairn models register) to use it, or choose another version."
    )


def _collect(db: Database, artifacts: ArtifactDeleter, candidate: VersionFiles, actor: Actor,
             at: int) -> CollectedArtifacts:
    with db.write() as tx:
        model = require_model(tx, candidate.name, lock=True)
        current = require_version(tx, model, candidate.version)
        if (current.current_stage != ARCHIVED or current.artifacts_retained_until is None
                or current.artifacts_retained_until > at or ARTIFACTS_DELETED_TAG in current.tags):
            return _entry(candidate, kept_reason="it changed while the collector ran")
        rows.set_tags(tx, model.key, candidate.version, {ARTIFACTS_DELETED_TAG: str(at)})
        audit.record(tx, model, actions.ARTIFACTS_DELETED, actor, at, version=candidate.version,
                     reason="retention ended",
                     details={"source": candidate.source, "location": candidate.location,
                              "retained_until": current.artifacts_retained_until})
        try:
            artifacts.delete(store_path_of(candidate.location))
        except NotFound:
            log.info("version %s of %s had no files left at %s", candidate.version, candidate.name, candidate.location)
    log.info("deleted the artifacts of version %s of %s (retention ended)", candidate.version, candidate.name)
    return _entry(candidate, deleted_time=at)


def _is_expired(v: VersionFiles, at: int) -> bool:
    return not keeps_files(v.stage, v.retained_until, at)


def _sharing_version(candidate: VersionFiles, keeping: list[VersionFiles]) -> VersionFiles | None:
    mine = _folder(candidate.location)
    for other in keeping:
        theirs = _folder(other.location)
        if mine.startswith(theirs) or theirs.startswith(mine):
            return other
    return None


def _folder(location: str) -> str:
    return store_path_of(location).rstrip("/") + "/"


def _entry(v: VersionFiles, *, deleted_time: int | None = None, kept_reason: str | None = None) -> CollectedArtifacts:
    assert v.retained_until is not None
    return CollectedArtifacts(v.name, v.version, v.source, v.retained_until, deleted_time, kept_reason)


def _date(ms_text: str) -> str:
    try:
        return datetime.fromtimestamp(int(ms_text) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (ValueError, OverflowError, OSError):
        return ms_text
