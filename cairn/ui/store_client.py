"""A ``Client`` over the server's own store, for pages that ask what the CLI asks.

The model-version page, the deployments and the datasets pages answer the questions of ``cairn
models show``, ``cairn deployments`` and ``cairn drift``; reading through the same ``Client``
calls (on a ``LocalBackend`` over the server's open database and artifact store) keeps their
answers the same. The client is read-only here and is never closed: closing would not close the
server's store, and there is nothing of its own to release.
"""

from __future__ import annotations

from starlette.requests import Request

from cairn.client.backends import LocalBackend
from cairn.client.client import Client

from .stores import stores_of


def client_of(request: Request) -> Client:
    stores = stores_of(request)
    return Client(backend=LocalBackend(stores.db, stores.artifacts))
