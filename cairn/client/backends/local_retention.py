"""The retention part of ``LocalBackend``: policies and their trail from ``cairn.tracking``,
garbage collection from ``cairn.registry``, on the embedded store."""

from __future__ import annotations

from cairn import registry
from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import Actor, GcReport, RetentionEvent, RetentionPolicy
from cairn.store.database import Database
from cairn.tracking import retention_policies, retention_trail


class LocalRetention:
    """Mixed into ``LocalBackend``."""

    db: Database
    artifacts: LocalArtifactStore

    def set_retention_policy(self, experiment_id: str, keep_last: int | None, keep_days: int | None,
                             actor: Actor) -> RetentionPolicy:
        return retention_policies.set_retention_policy(self.db, experiment_id, keep_last, keep_days, actor)

    def get_retention_policy(self, experiment_id: str) -> RetentionPolicy | None:
        return retention_policies.get_retention_policy(self.db, experiment_id)

    def clear_retention_policy(self, experiment_id: str, actor: Actor) -> None:
        retention_policies.clear_retention_policy(self.db, experiment_id, actor)

    def collect_garbage(self, actor: Actor, dry_run: bool, grace_days: int | None) -> GcReport:
        return registry.collect_garbage(self.db, self.artifacts, actor, dry_run=dry_run, grace_days=grace_days)

    def list_retention_events(self, experiment_id: str | None, run_id: str | None,
                              max_results: int) -> list[RetentionEvent]:
        return retention_trail.list_retention_events(self.db, experiment_id, run_id, max_results)
