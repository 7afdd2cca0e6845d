"""Which store the SDK talks to, and the backend for it.

Resolution order: ``cairn.set_tracking_uri(...)``, then ``CAIRN_TRACKING_URI``, then the embedded
default ``./.cairn`` (SQLite file ``cairn.db`` and artifacts folder ``artifacts/``). Accepted forms:

* ``http://host:port`` / ``https://...``: a Cairn or MLflow server (REST backend);
* ``sqlite:///path/to/cairn.db``: embedded, artifacts in ``artifacts/`` beside the file;
* ``postgresql://user:password@host:5432/db`` (or ``postgresql+psycopg://...``): a shared database
  (needs ``pip install 'cairn-tracker[postgres]'``); artifacts in ``CAIRN_ARTIFACTS_ROOT``
  (default ``./.cairn/artifacts``);
* a plain folder path: embedded store in that folder.

One backend per URI per process: the SQLite engine (and its writer lock) must be shared by every
client in the process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cairn.errors import InvalidParameter
from cairn.store.urls import is_database_url

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


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def store_locations(uri: str) -> tuple[str, Path]:
    """The database URL and artifact folder an embedded (non-server) tracking URI names.
    ``InvalidParameter`` for a URL that is neither a database nor a folder."""
    if "://" in uri:
        if uri.startswith("sqlite:///"):
            db_file = Path(uri[len("sqlite:///"):])
            artifacts = Path(os.environ.get(ENV_ARTIFACTS_ROOT) or db_file.parent / "artifacts")
        elif is_database_url(uri):
            artifacts = Path(os.environ.get(ENV_ARTIFACTS_ROOT) or Path(DEFAULT_FOLDER) / "artifacts")
        else:
            raise InvalidParameter(
                f"Unsupported tracking URI '{uri}': use http(s)://host:port, sqlite:///file.db, "
                "postgresql://user:password@host:5432/db or a folder path."
            )
        return uri, artifacts.absolute()
    folder = Path(uri).expanduser()
    db_url = f"sqlite:///{(folder / 'cairn.db').absolute()}"
    return db_url, Path(os.environ.get(ENV_ARTIFACTS_ROOT) or folder / "artifacts").absolute()


def _open(uri: str) -> Backend:
    if is_server_uri(uri):
        return RestBackend(uri)
    from cairn.artifacts.local import LocalArtifactStore
    from cairn.store.database import open_database

    db_url, artifacts = store_locations(uri)
    return LocalBackend(open_database(db_url), LocalArtifactStore(artifacts))
