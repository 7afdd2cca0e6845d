"""The model-registry half of ``LocalBackend``: ``cairn.registry`` called on the embedded store.

A write that queues webhook deliveries wakes one background ``DeliveryWorker`` per backend, so
an embedded registry announces its events as a server does.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TypeVar

from cairn import registry
from cairn.artifacts.base import ArtifactStore
from cairn.entities import (
    Actor,
    AuditEvent,
    CollectedArtifacts,
    ModelVersion,
    PagedList,
    Policy,
    RegisteredModel,
    TimelineInterval,
    TransitionOutcome,
    TransitionRequest,
    Webhook,
    WebhookDelivery,
)
from cairn.registry.model_files import ArtifactStoreModelFiles
from cairn.registry.webhook_delivery import DeliveryWorker
from cairn.registry.webhooks import has_pending_deliveries
from cairn.store.database import Database

_T = TypeVar("_T")
_webhook_worker_lock = threading.Lock()


class LocalRegistry:
    """Mixed into ``LocalBackend``."""

    db: Database
    artifacts: ArtifactStore

    def create_registered_model(self, name: str, description: str | None, tags: dict[str, str],
                                actor: Actor) -> RegisteredModel:
        return self._announced(registry.create_registered_model(self.db, name, actor, description, tags))

    def get_registered_model(self, name: str) -> RegisteredModel:
        return registry.get_registered_model(self.db, name)

    def search_registered_models(self, name_like: str | None, max_results: int, page_token: str | None) -> PagedList:
        return registry.search_registered_models(self.db, name_like, max_results, page_token)

    def rename_registered_model(self, name: str, new_name: str, actor: Actor) -> RegisteredModel:
        return registry.rename_registered_model(self.db, name, new_name, actor)

    def update_registered_model(self, name: str, description: str | None, actor: Actor) -> RegisteredModel:
        return registry.update_registered_model(self.db, name, description, actor)

    def delete_registered_model(self, name: str, actor: Actor, reason: str | None) -> None:
        registry.delete_registered_model(self.db, name, actor, reason)

    def set_registered_model_tag(self, name: str, key: str, value: str, actor: Actor) -> None:
        registry.set_registered_model_tag(self.db, name, key, value, actor)

    def delete_registered_model_tag(self, name: str, key: str, actor: Actor) -> None:
        registry.delete_registered_model_tag(self.db, name, key, actor)

    def create_model_version(self, name: str, source: str, run_id: str | None, description: str | None,
                             tags: dict[str, str], actor: Actor) -> ModelVersion:
        return self._announced(registry.create_model_version(self.db, name, source, actor, run_id, description, tags))

    def register_model(self, source: str, name: str, run_id: str | None, description: str | None,
                       tags: dict[str, str], actor: Actor) -> ModelVersion:
        return self._announced(registry.register_model(self.db, source, name, actor, run_id, description, tags))

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return registry.get_model_version(self.db, name, version)

    def resolve_model_version(self, ref: str) -> ModelVersion:
        return registry.resolve_model_ref(self.db, ref)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None) -> list[ModelVersion]:
        return registry.get_latest_versions(self.db, name, stages)

    def search_model_versions(self, name: str | None, run_id: str | None, max_results: int,
                              page_token: str | None) -> PagedList:
        return registry.search_model_versions(self.db, name, run_id, max_results, page_token)

    def update_model_version(self, name: str, version: int, description: str | None, actor: Actor) -> ModelVersion:
        return registry.update_model_version(self.db, name, version, description, actor)

    def delete_model_version(self, name: str, version: int, actor: Actor, reason: str | None) -> None:
        self._announced(registry.delete_model_version(self.db, name, version, actor, reason))

    def set_model_version_tag(self, name: str, version: int, key: str, value: str, actor: Actor) -> None:
        self._announced(registry.set_model_version_tag(self.db, name, version, key, value, actor))

    def delete_model_version_tag(self, name: str, version: int, key: str, actor: Actor) -> None:
        self._announced(registry.delete_model_version_tag(self.db, name, version, key, actor))

    def promote(self, name: str, version: int, stage: str, actor: Actor, reason: str | None,
                archive_existing_versions: bool) -> TransitionOutcome:
        return self._announced(registry.promote(
            self.db, name, version, stage, actor, reason=reason, archive_existing_versions=archive_existing_versions,
            model_files=ArtifactStoreModelFiles(self.artifacts),
        ))

    def set_alias(self, name: str, alias: str, version: int, actor: Actor, reason: str | None) -> ModelVersion:
        return self._announced(registry.set_alias(self.db, name, alias, version, actor, reason))

    def delete_alias(self, name: str, alias: str, actor: Actor, reason: str | None) -> None:
        self._announced(registry.delete_alias(self.db, name, alias, actor, reason))

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return registry.get_version_by_alias(self.db, name, alias)

    def list_transition_requests(self, name: str | None, status: str | None) -> list[TransitionRequest]:
        return registry.list_transition_requests(self.db, name, status)

    def approve_transition_request(self, name: str, version: int, actor: Actor,
                                   comment: str | None) -> TransitionOutcome:
        return self._announced(registry.approve_transition_request(
            self.db, name, version, actor, comment, model_files=ArtifactStoreModelFiles(self.artifacts),
        ))

    def reject_transition_request(self, name: str, version: int, actor: Actor,
                                  comment: str | None) -> TransitionRequest:
        return self._announced(registry.reject_transition_request(self.db, name, version, actor, comment))

    def rollback(self, name: str, actor: Actor, reason: str, version: int | None) -> TransitionOutcome:
        return self._announced(registry.rollback(self.db, name, actor, reason, version))

    def get_policy(self, name: str) -> Policy:
        return registry.get_policy(self.db, name)

    def get_policy_scope(self, name: str) -> str:
        return registry.get_policy_scope(self.db, name)

    def set_policy(self, name: str, policy: Policy | None, actor: Actor, reason: str | None) -> Policy:
        return registry.set_policy(self.db, name, policy, actor, reason)

    def get_default_policy(self) -> Policy | None:
        return registry.get_default_policy(self.db)

    def set_default_policy(self, policy: Policy | None, actor: Actor) -> None:
        registry.set_default_policy(self.db, policy, actor)

    def list_audit_events(self, name: str, version: int | None, max_results: int | None,
                          newest_first: bool) -> list[AuditEvent]:
        return registry.list_audit_events(self.db, name, version, max_results, newest_first)

    def get_timeline(self, name: str, include_aliases: bool) -> list[TimelineInterval]:
        return registry.get_timeline(self.db, name, include_aliases)

    def production_version_at(self, name: str, at: int) -> TimelineInterval | None:
        return registry.production_version_at(self.db, name, at)

    def aliases_at(self, name: str, at: int) -> list[TimelineInterval]:
        return registry.aliases_at(self.db, name, at)

    def create_webhook(self, url: str, events: Sequence[str] | None, actor: Actor, name: str | None,
                       secret: str | None, description: str | None, allow_private: bool) -> tuple[Webhook, str]:
        return registry.create_webhook(self.db, url, actor, events, name=name, secret=secret,
                                       description=description, allow_private=allow_private)

    def list_webhooks(self) -> list[Webhook]:
        return registry.list_webhooks(self.db)

    def delete_webhook(self, webhook_id: str, actor: Actor) -> None:
        registry.delete_webhook(self.db, webhook_id, actor)

    def test_webhook(self, webhook_id: str, actor: Actor) -> WebhookDelivery:
        return registry.send_test(self.db, webhook_id, actor)

    def list_webhook_deliveries(self, webhook_id: str | None, max_results: int) -> list[WebhookDelivery]:
        return registry.list_deliveries(self.db, webhook_id, max_results)

    def deliver_webhooks(self) -> list[WebhookDelivery]:
        return registry.deliver_due(self.db)

    def collect_expired_artifacts(self, actor: Actor, dry_run: bool) -> list[CollectedArtifacts]:
        return registry.collect_expired_artifacts(self.db, self.artifacts, actor, dry_run=dry_run)

    def _announced(self, result: _T) -> _T:
        """Pass ``result`` through after waking the webhook worker if deliveries are queued."""
        worker: DeliveryWorker | None = getattr(self, "_webhook_worker", None)
        if worker is None:
            if not has_pending_deliveries(self.db):
                return result
            with _webhook_worker_lock:
                worker = getattr(self, "_webhook_worker", None) or DeliveryWorker(self.db)
                self._webhook_worker = worker
        worker.kick()
        return result

    def _stop_webhook_worker(self) -> None:
        worker: DeliveryWorker | None = getattr(self, "_webhook_worker", None)
        if worker is not None:
            worker.close()
            self._webhook_worker = None
