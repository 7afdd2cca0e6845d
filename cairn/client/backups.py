"""Backing up and restoring the store a tracking URI names: ``backup_store`` and ``restore_store``.

Both read and write the store itself (its database and its artifact store), so they need an
embedded store's URI: a folder, ``sqlite:///...`` or ``postgresql://...`` (artifacts from
``CAIRN_ARTIFACTS_ROOT``). Against a running server, point them at the server's own store, on its
machine: a backup is consistent while the server keeps writing.
"""

from __future__ import annotations

from pathlib import Path

from cairn.errors import InvalidParameter
from cairn.tracking.backup import backup_store as _backup
from cairn.tracking.backup_manifest import BackupManifest, Progress
from cairn.tracking.restore import restore_store as _restore

from .backends import LocalBackend
from .tracking_uri import backend_for, get_tracking_uri


def backup_store(dest: str | Path, *, tracking_uri: str | None = None, cairn_version: str = "unknown",
                 progress: Progress | None = None) -> BackupManifest:
    """Copy the store (metadata, then artifacts) into the new folder ``dest``; see
    ``cairn.tracking.backup``."""
    backend = _local(tracking_uri, "back up")
    return _backup(backend.db, backend.artifacts, Path(dest), cairn_version=cairn_version, progress=progress)


def restore_store(src: str | Path, *, tracking_uri: str | None = None,
                  progress: Progress | None = None) -> BackupManifest:
    """Bring the backup in ``src`` back into the (empty) store; see ``cairn.tracking.restore``."""
    backend = _local(tracking_uri, "restore")
    return _restore(backend.db, backend.artifacts, Path(src), progress=progress)


def _local(tracking_uri: str | None, what: str) -> LocalBackend:
    uri = tracking_uri or get_tracking_uri()
    backend = backend_for(uri)
    if not isinstance(backend, LocalBackend):
        raise InvalidParameter(
            f"Cannot {what} '{uri}' through its API: run this on the server's machine with --tracking-uri naming "
            "its store (the server's --backend-store-uri: a folder, sqlite:///... or postgresql://...) and "
            "CAIRN_ARTIFACTS_ROOT its --artifacts-destination."
        )
    return backend
