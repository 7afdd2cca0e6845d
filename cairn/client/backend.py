"""The contract between ``Client`` and where data lives.

Two implementations: ``LocalBackend`` calls the tracking domain in-process on an embedded store;
``RestBackend`` sends the same calls to a Cairn (or MLflow) server. Both raise ``cairn.errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

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


class Backend(Protocol):
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def search_experiments(
        self, view_type: ViewType, max_results: int, page_token: str | None, name_like: str | None
    ) -> PagedList: ...
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...
    def delete_experiment(self, experiment_id: str) -> None: ...
    def restore_experiment(self, experiment_id: str) -> None: ...
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int | None,
        tags: dict[str, str],
        run_name: str | None,
    ) -> Run: ...
    def get_run(self, run_id: str) -> Run: ...
    def update_run(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo: ...
    def delete_run(self, run_id: str) -> None: ...
    def restore_run(self, run_id: str) -> None: ...
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList: ...
    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
    ) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...
    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None: ...
    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList: ...

    def upload_artifact(self, artifact_uri: str, local_path: Path, artifact_path: str) -> None:
        """Store one local file at ``artifact_path`` (a file path, relative to the run's root)."""
    def list_artifacts(self, artifact_uri: str, path: str) -> list[FileInfo]:
        """Immediate children of ``path``; FileInfo.path is relative to the run's artifact root."""
    def download_artifacts(self, artifact_uri: str, path: str, dest_dir: Path) -> Path: ...
    def close(self) -> None: ...
