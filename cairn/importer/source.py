"""The one interface every MLflow source implements, and how a command line picks one.

A source is read in the order an import needs: experiments, then per experiment its logged
models and its runs (with each run's metric history in bounded chunks), then registered models.
Files are listed and fetched per ``FilesRoot``; a fetch writes to a local path the caller
chose, so a file of any size passes in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from cairn.entities import Metric
from cairn.errors import InvalidParameter
from cairn.registry.imports import ImportedModel

from .records import (
    FilesRoot,
    SourceExperiment,
    SourceFile,
    SourceLoggedModel,
    SourceRun,
)


class Source(Protocol):
    label: str  # how messages name the source (no credentials)

    def experiments(self) -> list[SourceExperiment]: ...
    def count_runs(self) -> int | None:
        """How many runs ``runs`` will yield over all experiments, or None if the source cannot tell."""
    def runs(self, experiment_id: str) -> Iterator[SourceRun]: ...
    def metric_points(self, run: SourceRun, chunk_size: int) -> Iterator[list[Metric]]: ...
    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]: ...
    def registered_models(self) -> list[ImportedModel]: ...
    def list_files(self, root: FilesRoot) -> list[SourceFile]:
        """Every file under the root, recursively; empty when there is none (or no folder)."""
    def fetch_file(self, root: FilesRoot, path: str, dest: Path) -> None: ...
    def close(self) -> None: ...


def open_source(from_uri: str | None, from_server: str | None, artifacts: str | None) -> Source:
    """The source a command names: ``--from`` an MLflow backend URI (with ``--artifacts``, where
    its ``mlflow-artifacts:/`` files are) or ``--from-server`` an MLflow server's URL.

    Raises ``InvalidParameter``, ``NotFound`` or ``StoreUnavailable`` with a one-line message
    when the source cannot be read (missing file, not an MLflow store, unreachable server)."""
    if (from_uri is None) == (from_server is None):
        raise InvalidParameter("Name one source: --from <MLflow backend URI> or --from-server <MLflow server URL>.")
    if from_server is not None:
        if artifacts is not None:
            raise InvalidParameter("--artifacts goes with --from; a server hands out its own artifacts.")
        from .mlflow_rest import MlflowServer

        return MlflowServer(from_server)
    from .mlflow_db import MlflowDatabase

    assert from_uri is not None
    return MlflowDatabase(from_uri, artifacts)
