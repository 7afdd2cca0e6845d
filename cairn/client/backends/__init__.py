"""Where the SDK's calls go: one interface (``base.Backend``: tracking, registry, datasets,
deployments and predictions) and two complete implementations of it.

    local.py   LocalBackend: the domain packages called in-process on an embedded store
               (SQLite or PostgreSQL + an artifact store: a folder or S3)
    rest.py    RestBackend: the same calls sent to a Cairn server over HTTP with httpx

Each backend is split by the interface's parts (``local_registry``, ``rest_datasets``, ...).
``Client`` holds one backend and only delegates to it.
"""

from typing import TYPE_CHECKING, Any

from .base import Backend

if TYPE_CHECKING:
    from .local import LocalBackend
    from .rest import RestBackend


def __getattr__(name: str) -> Any:
    # Each implementation is imported on first use: the embedded one pulls in the whole store and
    # the domain packages, the REST one httpx; a process needs one of them, often neither.
    if name == "LocalBackend":
        from .local import LocalBackend

        return LocalBackend
    if name == "RestBackend":
        from .rest import RestBackend

        return RestBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Backend", "LocalBackend", "RestBackend"]
