"""Which store the SDK talks to, and the backend for it.

Resolution order: ``cairn.set_tracking_uri(...)``, then ``CAIRN_TRACKING_URI``, then the embedded
default ``./.cairn`` (SQLite file ``cairn.db`` and artifacts folder ``artifacts/``). Accepted forms:

* ``http://host:port`` / ``https://...``: a Cairn or MLflow server (REST backend);
* ``sqlite:///path/to/cairn.db``: embedded, artifacts in ``artifacts/`` beside the file;
* ``postgresql+psycopg://...``: a shared database; artifacts in ``CAIRN_ARTIFACTS_ROOT``;
* a plain folder path: embedded store in that folder.

One backend per URI per process: the SQLite engine (and its writer lock) must be shared by every
client in the process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cairn.errors import InvalidParameter

from .backends import Backend, LocalBackend, RestBackend

ENV_TRACKING_URI = "CAIRN_TRACKING_URI"
ENV_ARTIFACTS_ROOT = "CAIRN_ARTIFACTS_ROOT"
DEFAULT_FOLDER = ".cairn"

_explicit_uri: str | None = None
_backends: dict[str, Backend] = {}
_lock = threading.Lock()


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    global _explicit_uri
    _explicit_uri = str(uri) if uri is not None else None


def get_tracking_uri() -> str:
    uri = _explicit_uri or os.environ.get(ENV_TRACKING_URI) or DEFAULT_FOLDER
    return uri


def backend_for(uri: str | None = None) -> Backend:
    key = uri or get_tracking_uri()
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = _open(key)
    return backend


def close_all() -> None:
    with _lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()


def _open(uri: str) -> Backend:
    if uri.startswith(("http://", "https://")):
        return RestBackend(uri)
    from cairn.artifacts.local import LocalArtifactStore
    from cairn.store.database import open_database

    if "://" in uri:
        if uri.startswith("sqlite:///"):
            db_file = Path(uri[len("sqlite:///"):])
            artifacts = Path(os.environ.get(ENV_ARTIFACTS_ROOT) or db_file.parent / "artifacts")
            db_url = uri
        elif uri.startswith("postgresql"):
            artifacts = Path(os.environ.get(ENV_ARTIFACTS_ROOT) or Path(DEFAULT_FOLDER) / "artifacts")
            db_url = uri
        else:
            raise InvalidParameter(
                f"Unsupported tracking URI '{uri}': use http(s)://host:port, sqlite:///file.db, "
                "postgresql+psycopg://... or a folder path."
            )
    else:
        folder = Path(uri).expanduser()
        db_url = f"sqlite:///{(folder / 'cairn.db').absolute()}"
        artifacts = Path(os.environ.get(ENV_ARTIFACTS_ROOT) or folder / "artifacts")
    return LocalBackend(open_database(db_url), LocalArtifactStore(artifacts.absolute()))


def absolute_tracking_uri(uri: str | None = None) -> str:
    """``uri`` (default: the one in force) with a relative folder or SQLite path made absolute, so a
    process started in another directory (``cairn reproduce`` runs a script in a fresh checkout)
    reaches the same store."""
    key = uri or get_tracking_uri()
    if key.startswith("sqlite:///"):
        return f"sqlite:///{Path(key[len('sqlite:///'):]).expanduser().absolute()}"
    if "://" in key:
        return key
    return str(Path(key).expanduser().absolute())
