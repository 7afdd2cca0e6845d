"""``diff.RunReader`` over an open store and artifact store, for the apps that hold both: the
server's diff route and the web UI's compare page read runs the same way the SDK's ``Client`` does.
"""

from __future__ import annotations

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.entities import Metric, Run
from cairn.errors import NotFound
from cairn.store.database import Database
from cairn.tracking import metrics_history, runs
from cairn.tracking.locations import store_path_of

from .diff import MAX_TEXT_ARTIFACT_BYTES


class StoreRunReader:
    """Runs, metric histories and text artifacts, read straight from the stores."""

    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
        self._db, self._artifacts = db, artifacts

    def get_run(self, run_id: str) -> Run:
        return runs.get_run(self._db, run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return list(metrics_history.get_metric_history(self._db, run_id, key).items)

    def read_artifact_text(self, run_id: str, path: str) -> str | None:
        root = store_path_of(self.get_run(run_id).info.artifact_uri)
        location = f"{root}/{clean_relative_path(path)}"
        try:
            with self._artifacts.open(location) as handle:
                return handle.read(MAX_TEXT_ARTIFACT_BYTES).decode("utf-8", errors="replace")
        except (NotFound, IsADirectoryError, FileNotFoundError):
            return None
