"""What a page handler reads from: the server's open database and artifact store.

The server puts them on ``app.state.cairn``; the UI sits below the server, so it names only the
two attributes it needs instead of importing the server's state class.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request

from cairn.artifacts.base import ArtifactStore
from cairn.store.database import Database


class Stores(Protocol):
    @property
    def db(self) -> Database: ...

    @property
    def artifacts(self) -> ArtifactStore: ...


def stores_of(request: Request) -> Stores:
    stores: Stores = request.app.state.cairn
    return stores
