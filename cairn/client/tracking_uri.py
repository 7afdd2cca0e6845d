"""Which store the SDK talks to, and the backend for it.

Resolution order: ``cairn.set_tracking_uri(...)``, then ``CAIRN_TRACKING_URI``, then the embedded
default ``./.cairn`` (SQLite file ``cairn.db`` and artifacts folder ``artifacts/``). Accepted forms:

* ``http://host:port`` / ``https://...``: a Cairn or MLflow server (REST backend);
* ``sqlite:///path/to/cairn.db``: embedded, artifacts in ``artifacts/`` beside the file;
* ``postgresql://user:password@host:5432/db`` (or ``postgresql+psycopg://...``): a shared database
  (needs ``pip install 'cairn-tracker[postgres]'``); artifacts in ``CAIRN_ARTIFACTS_ROOT``
  (default ``./.cairn/artifacts``);
* a plain folder path: embedded store in that folder.

``CAIRN_ARTIFACTS_ROOT`` (a folder or ``s3://bucket/prefix``) puts the artifacts of any embedded
form elsewhere; an S3 bucket is reached with the standard AWS variables (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``) and checked when the
store is opened, so a misconfiguration fails on the first call, not on the first upload.

One backend per URI per process: the SQLite engine (and its writer lock) must be shared by every
client in the process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cairn.errors import InvalidParameter
from cairn.store.urls import is_database_url

from .backends import Backend

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


def close_backend(uri: str) -> None:
    """Close this process's backend for ``uri`` if one is open (e.g. before its database is
    dropped, so no pooled connection outlives it)."""
    with _lock:
        backend = _backends.pop(uri, None)
    if backend is not None:
        backend.close()


def close_all() -> None:
    with _lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()


def artifacts_destination_for(folder: str | os.PathLike[str]) -> str:
    """The artifact store of an embedded store whose default artifact folder is ``folder``:
    ``CAIRN_ARTIFACTS_ROOT`` when set (a folder or ``s3://bucket/prefix``), else ``folder``."""
    root = os.environ.get(ENV_ARTIFACTS_ROOT)
    return root if root else os.fspath(Path(folder).absolute())


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def store_locations(uri: str) -> tuple[str, str]:
    """The database URL and artifact destination (a folder or ``s3://...``) an embedded
    (non-server) tracking URI names. ``InvalidParameter`` for a URL that is neither a database nor
    a folder."""
    if "://" in uri:
        if uri.startswith("sqlite:///"):
            return uri, artifacts_destination_for(Path(uri[len("sqlite:///"):]).parent / "artifacts")
        if is_database_url(uri):
            return uri, artifacts_destination_for(Path(DEFAULT_FOLDER) / "artifacts")
        raise InvalidParameter(
            f"Unsupported tracking URI '{uri}': use http(s)://host:port, sqlite:///file.db, "
            "postgresql://user:password@host:5432/db or a folder path."
        )
    folder = Path(uri).expanduser()
    return f"sqlite:///{(folder / 'cairn.db').absolute()}", artifacts_destination_for(folder / "artifacts")


def _open(uri: str) -> Backend:
    if is_server_uri(uri):
        from .backends.rest import RestBackend

        return RestBackend(uri)
    from cairn.artifacts.destinations import open_artifact_store
    from cairn.store.database import open_database

    from .backends.local import LocalBackend

    db_url, artifacts = store_locations(uri)
    # The artifact store first: it checks an S3 bucket, and a refusal must not leave a database open.
    store = open_artifact_store(artifacts)
    try:
        return LocalBackend(open_database(db_url), store)
    except BaseException:
        store.close()
        raise


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
