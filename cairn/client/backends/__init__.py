"""Where the SDK's calls go: one interface (``base.Backend``: tracking, registry, datasets,
deployments and predictions) and two complete implementations of it.

    local.py   LocalBackend: the domain packages called in-process on an embedded store
               (SQLite or PostgreSQL + an artifact store: a folder or S3)
    rest.py    RestBackend: the same calls sent to a Cairn server over HTTP with httpx

Each backend is split by the interface's parts (``local_registry``, ``rest_datasets``, ...).
``Client`` holds one backend and only delegates to it.
"""

from .base import Backend
from .local import LocalBackend
from .rest import RestBackend

__all__ = ["Backend", "LocalBackend", "RestBackend"]
