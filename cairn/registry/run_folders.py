"""Where a run's files are, how much they weigh, and removing them with their trail entries.

A run's files are its artifact folder and the folders of the logged models it produced (mlflow 3
logs models beside the run, under ``<experiment>/models/<id>/artifacts``), where those are in
Cairn's store; a run whose artifacts live in a remote store has nothing here. The store is used
only through its public methods (``list``, ``sha256``, ``delete``), so the same code runs on the
local store and on an object store.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cairn.artifacts.inventory import walk_files
from cairn.entities import Actor, CollectedRun, FileInfo
from cairn.errors import NotFound
from cairn.store import retention_events as trail
from cairn.store.registry_models import Tx
from cairn.store.run_retention import RunRow
from cairn.tracking.locations import SCHEME, store_path_of

log = logging.getLogger(__name__)


class RunFileStore(Protocol):
    def list(self, location: str = "") -> list[FileInfo]: ...
    def sha256(self, location: str) -> str: ...
    def delete(self, location: str) -> None:
        """Remove the file or subtree at ``location``; ``NotFound`` when nothing is there."""
    def collect_garbage(self) -> int:
        """Free the storage no location references any more; the bytes freed."""


@dataclass(frozen=True)
class Folder:
    location: str  # a store path
    files: int
    size: int


@dataclass(frozen=True)
class RunFiles:
    run: RunRow
    folders: tuple[str, ...]  # store paths: the artifact folder first, then its logged models'
    model_ids: tuple[str, ...]


def files_of(run: RunRow, logged: Sequence[tuple[str, str]]) -> RunFiles:
    """The run's folders in Cairn's store, given its logged models' (id, location) pairs."""
    folders = [p for p in (_store_path(run.artifact_uri), *(_store_path(loc) for _, loc in logged)) if p]
    return RunFiles(run, tuple(dict.fromkeys(folders)), tuple(model_id for model_id, _ in logged))


def measure(store: RunFileStore, files: RunFiles) -> list[Folder]:
    """Each folder that holds files, with their number and total size."""
    found = []
    for location in files.folders:
        sizes = [info.file_size or 0 for info in walk_files(store, location)]
        if sizes:
            found.append(Folder(location, len(sizes), sum(sizes)))
    return found


def entries(files: RunFiles, folders: Sequence[Folder], action: str, policy: str, *,
            deleted_time: int | None = None) -> list[CollectedRun]:
    """The report lines of a run whose ``folders`` go (at least one line, for a purged run)."""
    run = files.run
    shown = list(folders) or [Folder(files.folders[0] if files.folders else "", 0, 0)]
    return [CollectedRun(action, run.experiment_id, run.run_id, run.name, f.location or None, policy, f.files,
                         f.size, deleted_time) for f in shown]


def kept(files: RunFiles, action: str, policy: str, reason: str) -> CollectedRun:
    run = files.run
    location = files.folders[0] if files.folders else None
    return CollectedRun(action, run.experiment_id, run.run_id, run.name, location, policy, kept_reason=reason)


def remove(tx: Tx, store: RunFileStore, files: RunFiles, folders: Sequence[Folder], action: str, policy: str,
           actor: Actor, at: int) -> None:
    """In the caller's write transaction: one trail event per folder, then the folders deleted (if
    deleting fails, the caller's transaction rolls back and the trail says nothing went). No
    version's files are inside unless already collected: a version that keeps its files holds the
    run (``production_holds``), and ``garbage`` collects the expired ones first."""
    run = files.run
    recorded = list(folders)
    if not recorded:  # a purged run with no files still leaves its event
        recorded = [Folder(files.folders[0], 0, 0)] if files.folders else [Folder("", 0, 0)]
    for folder in recorded:
        trail.insert_event(tx, action=action, actor=actor, timestamp=at, policy=policy,
                           experiment_id=run.experiment_id, run_id=run.run_id, location=folder.location or None,
                           files=folder.files, size=folder.size, details={"run_name": run.name})
    for location in files.folders:
        try:
            store.delete(location)
        except NotFound:
            log.info("run %s had no files left at %s", run.run_id, location)


def _store_path(uri: str) -> str | None:
    return store_path_of(uri) if uri.startswith(SCHEME) else None


