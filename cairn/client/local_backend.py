"""The embedded backend: domain calls in-process on SQLite (or PostgreSQL) + a local artifact store."""

from __future__ import annotations

from collections.abc import Sequence
import threading
from pathlib import Path
from typing import TypeVar

from cairn import registry
from cairn.artifacts.local import LocalArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.entities import (
    DatasetInput,
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunTag,
    ViewType,
)
from cairn.entities import (
    Actor,
    AuditEvent,
    CollectedArtifacts,
    ModelVersion,
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
from cairn.tracking import experiments, metrics_history, run_data, runs
from cairn.tracking.locations import store_path_of


_T = TypeVar("_T")
_webhook_worker_lock = threading.Lock()


class LocalBackend:
    def __init__(self, db: Database, artifacts: LocalArtifactStore) -> None:
        self.db = db
        self.artifacts = artifacts

    # experiments
    def create_experiment(self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None) -> str:
        return experiments.create_experiment(self.db, name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return experiments.get_experiment(self.db, experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return experiments.get_experiment_by_name(self.db, name)

    def search_experiments(self, view_type: ViewType, max_results: int, page_token: str | None, name_like: str | None) -> PagedList:
        return experiments.search_experiments(self.db, view_type, name_like, max_results, page_token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        experiments.rename_experiment(self.db, experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        experiments.delete_experiment(self.db, experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        experiments.restore_experiment(self.db, experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        experiments.set_experiment_tag(self.db, experiment_id, key, value)

    # runs
    def create_run(self, experiment_id: str, user_id: str, start_time: int | None, tags: dict[str, str], run_name: str | None) -> Run:
        return runs.create_run(self.db, experiment_id, user_id, start_time, tags, run_name)

    def get_run(self, run_id: str) -> Run:
        return runs.get_run(self.db, run_id)

    def update_run(self, run_id: str, status: str | None, end_time: int | None, run_name: str | None) -> RunInfo:
        return runs.update_run(self.db, run_id, status, end_time, run_name)

    def delete_run(self, run_id: str) -> None:
        runs.delete_run(self.db, run_id)

    def restore_run(self, run_id: str) -> None:
        runs.restore_run(self.db, run_id)

    def search_runs(self, experiment_ids: Sequence[str], filter_string: str | None, run_view_type: ViewType,
                    max_results: int, order_by: Sequence[str] | None, page_token: str | None) -> PagedList:
        return runs.search_runs(self.db, experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)

    def log_batch(self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]) -> None:
        run_data.log_batch(self.db, run_id, metrics, params, tags)

    def delete_tag(self, run_id: str, key: str) -> None:
        run_data.delete_tag(self.db, run_id, key)

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        run_data.log_inputs(self.db, run_id, inputs)

    def get_metric_history(self, run_id: str, key: str, max_results: int | None, page_token: str | None) -> PagedList:
        return metrics_history.get_metric_history(self.db, run_id, key, max_results, page_token)

    # artifacts
    def upload_artifact(self, artifact_uri: str, local_path: Path, artifact_path: str) -> None:
        self.artifacts.put_file(_location(artifact_uri, artifact_path), local_path)

    def list_artifacts(self, artifact_uri: str, path: str) -> list[FileInfo]:
        root = store_path_of(artifact_uri)
        prefix = len(root) + 1
        return [
            FileInfo(info.path[prefix:], info.is_dir, info.file_size)
            for info in self.artifacts.list(_location(artifact_uri, path))
        ]

    def download_artifacts(self, artifact_uri: str, path: str, dest_dir: Path) -> Path:
        return self.artifacts.download(_location(artifact_uri, path), dest_dir)

    def close(self) -> None:
        self._stop_webhook_worker()
        self.db.close()

    # model registry (the RegistryBackend contract) -------------------------------------------
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


def _location(artifact_uri: str, path: str) -> str:
    root = store_path_of(artifact_uri)
    relative = clean_relative_path(path or "")
    return f"{root}/{relative}" if relative else root

