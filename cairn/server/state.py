"""What every request handler reaches through ``request.app.state``: the open stores."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.presigned import PresignedUploads
from cairn.store.database import Database

from .config import ServerConfig


@dataclass(frozen=True)
class ServerState:
    config: ServerConfig
    db: Database
    artifacts: ArtifactStore
    # Set when the server runs with --artifacts-presigned (its store is then on S3).
    presigned: PresignedUploads | None = None


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.cairn
    return state


def db_of(request: Request) -> Database:
    return state_of(request).db


def artifacts_of(request: Request) -> ArtifactStore:
    return state_of(request).artifacts
