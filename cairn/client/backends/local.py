"""The embedded backend: domain calls in-process on SQLite (or PostgreSQL) + an artifact store (folder or S3).

``LocalBackend`` holds the tracking half here; the registry, dataset, deployment and import halves
are mixins beside it (``local_registry``, ``local_datasets``, ``local_deployments``,
``local_imports``), each calling its domain package with the same ``Database`` the server's
routes would use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.entities import (
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
from cairn.store.database import Database
from cairn.tracking import experiments, metrics_history, run_data, runs
from cairn.tracking.locations import store_path_of
from cairn.tracking.retention_trail import explained

from .local_datasets import LocalDatasets
from .local_deployments import LocalDeployments
from .local_evidence import LocalEvidence
from .local_imports import LocalImports
from .local_registry import LocalRegistry
from .local_retention import LocalRetention


class LocalBackend(LocalRegistry, LocalDatasets, LocalDeployments, LocalEvidence, LocalRetention, LocalImports):
    """``Backend`` on an embedded store: the ``Database`` and the artifact store it was opened on."""

    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
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
        location = _location(artifact_uri, path)
        with explained(self.db, location):
            return self.artifacts.download(location, dest_dir)

    def close(self) -> None:
        self._stop_webhook_worker()
        self.db.close()
        self.artifacts.close()


def _location(artifact_uri: str, path: str) -> str:
    root = store_path_of(artifact_uri)
    relative = clean_relative_path(path or "")
    return f"{root}/{relative}" if relative else root
