"""``cairn restore``: a backup (``backup``) brought back into an empty store.

Everything is checked before anything is written: the manifest's format, the checksums of the
metadata copy and of the artifact index, the schema revision (a backup made by a newer Cairn is
refused), the dialect (a SQLite backup restores into a SQLite store), and that the target holds
no data (nothing but the Default experiment, and no artifact). Then the metadata is put back and
migrated to this Cairn's schema if it is older, the artifacts are copied in through the target
store's public ``put_stream`` (each read verified against its sha256), and the restored counts
are compared with the manifest's. A restore that fails half-way leaves a partial store behind:
remove it (a new folder, or drop and recreate the database) before restoring again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import FileInfo
from cairn.errors import Conflict, InvalidParameter
from cairn.store import migrations
from cairn.store.database import Database, migrate, refresh_statistics
from cairn.store.snapshots import filled_tables, restore_snapshot, table_counts

from .backup_manifest import (
    ARTIFACT_INDEX,
    ARTIFACTS_FOLDER,
    BackupManifest,
    Progress,
    Silent,
    file_sha256,
    read_manifest,
)


class WritableStore(Protocol):
    def list(self, location: str = "") -> list[FileInfo]: ...
    def put_stream(self, location: str, chunks: Iterable[bytes], *, durable: bool = False) -> FileInfo: ...


def restore_store(db: Database, artifacts: WritableStore, src: Path, *,
                  progress: Progress | None = None) -> BackupManifest:
    """Restore the backup in ``src`` into this empty store and return its manifest.

    ``InvalidParameter`` for a folder that is not a usable backup (damaged, newer, other
    dialect); ``Conflict`` when the store is not empty.
    """
    shown = progress or Silent()
    manifest = read_manifest(src)
    shown.stage("Checking the backup")
    _check(manifest, src, db)
    _require_empty(db, artifacts)
    shown.stage("Restoring the metadata")
    restore_snapshot(db, src / manifest.metadata_file)
    migrate(db)
    refresh_statistics(db)  # a restored PostgreSQL store has no planner statistics yet
    _copy_artifacts(src, manifest, artifacts, shown)
    if manifest.schema_revision == migrations.HEAD:
        with db.read() as conn:
            restored = table_counts(conn)
        wrong = {t: (n, restored.get(t)) for t, n in manifest.counts.items() if restored.get(t) != n}
        if wrong:
            raise Conflict(f"The restored store does not match the backup's manifest (table: expected, found): "
                           f"{wrong}; the backup may be damaged.")
    return manifest


def _check(manifest: BackupManifest, src: Path, db: Database) -> None:
    for name, expected in ((manifest.metadata_file, manifest.metadata_sha256),
                           (ARTIFACT_INDEX, manifest.artifact_index_sha256)):
        path = src / name
        if not path.is_file() or file_sha256(path)[0] != expected:
            raise InvalidParameter(f"The backup in '{src}' is damaged: {name} is missing or does not match the "
                                   "checksum in its manifest.")
    if manifest.schema_revision not in migrations.known_revisions():
        raise InvalidParameter(f"The backup in '{src}' was made by a newer Cairn ({manifest.cairn_version}, schema "
                               f"{manifest.schema_revision}); install that version or newer to restore it.")
    dialect = db.engine.dialect.name
    if manifest.dialect != dialect:
        raise InvalidParameter(f"The backup in '{src}' is of a {manifest.dialect} store; restore it into a "
                               f"{manifest.dialect} store, not this {dialect} one.")


def _require_empty(db: Database, artifacts: WritableStore) -> None:
    with db.read() as conn:
        filled = filled_tables(conn)
    if filled:
        raise Conflict(f"Refusing to restore into a store that is not empty (it has rows in {', '.join(filled[:5])}"
                       f"{'...' if len(filled) > 5 else ''}); restore into a new folder or an empty database.")
    if artifacts.list(""):
        raise Conflict("Refusing to restore into a store whose artifact store is not empty; restore into a new "
                       "folder or point the artifacts at an empty place.")


def _copy_artifacts(src: Path, manifest: BackupManifest, target: WritableStore, progress: Progress) -> None:
    backup = LocalArtifactStore(src / ARTIFACTS_FOLDER)
    progress.stage(f"Copying {manifest.artifact_files} artifact files")
    progress.start(manifest.artifact_files, manifest.artifact_bytes)
    with (src / ARTIFACT_INDEX).open() as index:
        for line in index:
            entry = json.loads(line)
            if backup.sha256(entry["path"]) != entry["sha256"]:
                raise InvalidParameter(f"The backup in '{src}' is damaged: {entry['path']} does not match its "
                                       "checksum in the artifact index.")
            target.put_stream(entry["path"], backup.iter_bytes(entry["path"]))
            progress.advance(int(entry["size"]))
    progress.finish()
