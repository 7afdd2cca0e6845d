"""``cairn gc``: every retention rule in one pass, then the artifact store's garbage collection.

In order, at one moment ``at``:

1. archived versions whose rollback window has ended lose their files (``retention``, the rule
   ``cairn models gc`` applies on its own);
2. what production may need is read (``production_holds``), after step 1 so a version just
   collected no longer holds anything;
3. each experiment's retention policy is applied to its runs (``run_retention``);
4. runs deleted longer ago than the grace period are purged (``run_purge``);
5. the store frees the content no artifact references any more (``collect_garbage``): a blob
   shared with a kept run, or with anything else, stays.

A dry run changes nothing and reports what would go; its ``bytes_freed`` is the size of the
content found only under the places that would be deleted (``cairn.artifacts.inventory``).
"""

from __future__ import annotations

from cairn.artifacts.inventory import bytes_freed_by
from cairn.entities import Actor, GcReport
from cairn.errors import InvalidParameter
from cairn.store.database import Database
from cairn.tracking import clock

from .production_holds import find_holds
from .retention import expire_versions
from .run_folders import RunFileStore
from .run_purge import DELETED_RUN_GRACE_DAYS, purge_deleted_runs, validate_grace_days
from .run_retention import collect_run_artifacts


def collect_garbage(db: Database, artifacts: RunFileStore, actor: Actor, *, dry_run: bool = False,
                    grace_days: int | None = None, now: int | None = None) -> GcReport:
    """Apply every retention rule (module docstring) and free the storage; ``dry_run`` only reports.
    ``grace_days``: how long a deleted run waits before it is purged (default
    ``DELETED_RUN_GRACE_DAYS``). ``InvalidParameter`` for a bad flag or grace period."""
    if not isinstance(dry_run, bool):
        raise InvalidParameter("dry_run must be true or false.")
    grace = validate_grace_days(DELETED_RUN_GRACE_DAYS if grace_days is None else grace_days)
    at = clock.now_ms() if now is None else now
    versions, removed = expire_versions(db, artifacts, actor, at, dry_run=dry_run)
    with db.read() as tx:
        holds = find_holds(tx, at)
    runs, run_places = collect_run_artifacts(db, artifacts, actor, at, holds, dry_run=dry_run)
    purged, purged_places = purge_deleted_runs(db, artifacts, actor, at, holds, grace, dry_run=dry_run)
    removed += run_places + purged_places
    freed = bytes_freed_by(artifacts, removed) if dry_run else artifacts.collect_garbage()
    return GcReport(dry_run, tuple(runs + purged), tuple(versions), freed)
