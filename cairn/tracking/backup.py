"""``cairn backup``: a consistent copy of a store, metadata and artifacts, taken while it is in use.

1. The metadata is copied first, as one moment (``store.snapshots``: SQLite's online backup,
   or ``pg_dump`` on an exported snapshot), and its counts and owners are read from that copy.
2. Then the artifacts, through the store's public methods (``list``, ``iter_bytes``), into a
   local content-addressed store in the backup. Content is immutable and addressed by its
   sha256, so whatever the copied metadata refers to is still there to copy; files of runs and
   logged models the copy does not know (they began after it) are left out, so the backup is one
   point in time. A file deleted meanwhile (a ``cairn gc``) is counted as vanished.
3. ``manifest.json`` last: a folder without one is an unfinished backup.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from cairn.artifacts.inventory import walk_files
from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import FileInfo
from cairn.errors import InvalidParameter, NotFound
from cairn.store.database import Database
from cairn.store.snapshots import artifact_owners, metadata_file, schema_revision, table_counts, take_snapshot

from . import clock
from .backup_manifest import (
    ARTIFACT_INDEX,
    ARTIFACTS_FOLDER,
    BackupManifest,
    Progress,
    Silent,
    file_sha256,
    write_manifest,
)

# A run's folder (<experiment location>/<run id>/artifacts) and a logged model's (.../models/<id>/artifacts).
_RUN_FOLDER = re.compile(r"(?:^|/)([0-9a-f]{32})/artifacts(?:/|$)")
_MODEL_FOLDER = re.compile(r"(?:^|/)models/([^/]+)/artifacts(?:/|$)")


class ReadableStore(Protocol):
    def list(self, location: str = "") -> list[FileInfo]: ...
    def sha256(self, location: str) -> str: ...
    def iter_bytes(self, location: str) -> Iterator[bytes]: ...


def backup_store(db: Database, artifacts: ReadableStore, dest: Path, *, cairn_version: str,
                 progress: Progress | None = None) -> BackupManifest:
    """Back the store up into the new or empty folder ``dest`` and return its manifest.
    ``InvalidParameter`` when ``dest`` holds anything."""
    shown = progress or Silent()
    _prepare(dest)
    started = clock.now_ms()
    shown.stage("Copying the metadata (one consistent snapshot)")
    with take_snapshot(db, dest) as conn:
        counts, revision = table_counts(conn), schema_revision(conn)
        run_ids, model_ids = artifact_owners(conn)
    dialect = db.engine.dialect.name
    shown.stage("Listing the artifacts")
    wanted, skipped = [], 0
    for info in walk_files(artifacts):
        if _belongs(info.path, run_ids, model_ids):
            wanted.append(info)
        else:
            skipped += 1
    copied, size, vanished = _copy_artifacts(artifacts, wanted, dest, shown)
    meta_name = metadata_file(dialect)
    meta_sha, meta_size = file_sha256(dest / meta_name)
    index_sha, _ = file_sha256(dest / ARTIFACT_INDEX)
    manifest = BackupManifest(
        cairn_version=cairn_version, schema_revision=revision or "", created_time=started, dialect=dialect,
        metadata_file=meta_name, metadata_sha256=meta_sha, metadata_bytes=meta_size, artifact_files=copied,
        artifact_bytes=size, artifact_index_sha256=index_sha, counts=counts, skipped_files=skipped,
        vanished_files=vanished,
    )
    write_manifest(dest, manifest)
    return manifest


def _prepare(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidParameter(f"Backup destination '{dest}' exists and is not an empty folder; choose a new one.")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)  # the backup holds everything the store holds


def _belongs(path: str, run_ids: set[str], model_ids: set[str]) -> bool:
    """Whether a file is one the metadata copy can know: not in the folder of a run or logged
    model that began after it."""
    run = _RUN_FOLDER.search(path)
    if run is not None:
        return run.group(1) in run_ids
    model = _MODEL_FOLDER.search(path)
    if model is not None:
        return model.group(1) in model_ids
    return True


def _copy_artifacts(source: ReadableStore, files: list[FileInfo], dest: Path,
                    progress: Progress) -> tuple[int, int, int]:
    target = LocalArtifactStore(dest / ARTIFACTS_FOLDER)
    copied = size = vanished = 0
    progress.stage(f"Copying {len(files)} artifact files")
    progress.start(len(files), sum(f.file_size or 0 for f in files))
    with (dest / ARTIFACT_INDEX).open("w") as index:
        for info in files:
            try:
                stored = target.put_stream(info.path, source.iter_bytes(info.path))
            except NotFound:
                vanished += 1  # deleted since it was listed
                progress.advance(info.file_size or 0)
                continue
            entry = {"path": info.path, "sha256": target.sha256(info.path), "size": stored.file_size}
            index.write(json.dumps(entry, separators=(",", ":")) + "\n")
            copied += 1
            size += stored.file_size or 0
            progress.advance(info.file_size or 0)
    progress.finish()
    return copied, size, vanished
