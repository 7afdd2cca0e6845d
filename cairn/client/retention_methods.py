"""The retention methods of ``Client``: experiments' retention policies, garbage collection
(``cairn gc``) and the retention trail.

Each delegates to the backend's retention part (``cairn.tracking`` and ``cairn.registry`` on an
embedded store, a server's ``/api/cairn/v1/`` retention routes otherwise). Writes record who made
them, as registry writes do (``user=``, else ``CAIRN_USER``, else the OS user).
"""

from __future__ import annotations

from cairn.entities import GcReport, RetentionEvent, RetentionPolicy

from .backends.base import Backend
from .users import actor_of


class RetentionMethods:
    """Mixed into ``Client``.

    >>> client = Client()
    >>> client.set_retention_policy(experiment_id, keep_last=5, keep_days=30)
    >>> report = client.collect_garbage(dry_run=True)
    >>> report.bytes_freed
    """

    _backend: Backend

    def set_retention_policy(self, experiment_id: str, keep_last: int | None = None, keep_days: int | None = None,
                             *, user: str | None = None) -> RetentionPolicy:
        """Keep the artifacts of the experiment's ``keep_last`` latest runs and/or of its runs
        started less than ``keep_days`` days ago; ``cairn gc`` collects the others' (never what
        production may need). Replaces any policy the experiment had."""
        return self._backend.set_retention_policy(str(experiment_id), keep_last, keep_days, actor_of(user))

    def get_retention_policy(self, experiment_id: str) -> RetentionPolicy | None:
        """The experiment's retention policy, or None (its runs keep every artifact)."""
        return self._backend.get_retention_policy(str(experiment_id))

    def clear_retention_policy(self, experiment_id: str, *, user: str | None = None) -> None:
        """Remove the experiment's policy (``NotFound`` when it has none)."""
        self._backend.clear_retention_policy(str(experiment_id), actor_of(user))

    def collect_garbage(self, *, dry_run: bool = False, grace_days: int | None = None,
                        user: str | None = None) -> GcReport:
        """Apply every retention rule: archived versions past their rollback window, experiments'
        policies, deleted runs older than ``grace_days`` (default 30); then free the storage no
        artifact uses. Every deletion is recorded in the retention trail; ``dry_run`` only reports."""
        return self._backend.collect_garbage(actor_of(user), dry_run, grace_days)

    def list_retention_events(self, experiment_id: str | None = None, run_id: str | None = None,
                              max_results: int = 1000) -> list[RetentionEvent]:
        """The retention trail, newest first: deletions, purges and policy changes."""
        return self._backend.list_retention_events(experiment_id, run_id, max_results)
