"""What the signed-in caller may see, for pages that list or link across resources.

Pages naming one experiment, run or model are checked before their handler runs (the route
table); lists and cross-links are filtered here with the same grants the REST API's searches use
(``cairn.auth.grants``). Without ``--auth`` there is no principal and nothing is hidden. Call
these from the worker thread that loads the page: they read the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from starlette.requests import Request

from cairn.auth import grants
from cairn.auth.request_actor import principal_of
from cairn.store.database import Database

EXPERIMENT, REGISTERED_MODEL = grants.EXPERIMENT, grants.REGISTERED_MODEL


class _Config(Protocol):
    @property
    def default_permission(self) -> str: ...


class _State(Protocol):
    @property
    def db(self) -> Database: ...

    @property
    def config(self) -> _Config: ...


def readable_keys(request: Request, resource_type: str) -> list[str] | None:
    """Keys (experiment ids, registered-model keys) of what the caller may read, for a search's
    ``visible``; None means everything (no ``--auth``, an admin, a default permission that reads)."""
    principal = principal_of(request)
    if principal is None:
        return None
    state: _State = request.app.state.cairn
    return grants.readable_keys(state.db, principal.user, resource_type, state.config.default_permission)


def readable_names(request: Request, resource_type: str, names: Iterable[str]) -> set[str]:
    """Those of ``names`` (experiment ids, model names) the caller may read."""
    wanted = set(names)
    principal = principal_of(request)
    if principal is None:
        return wanted
    state: _State = request.app.state.cairn
    default = state.config.default_permission
    return {n for n in wanted if grants.may_read(state.db, principal.user, resource_type, n, default)}


def may_read(request: Request, resource_type: str, name: str) -> bool:
    """Whether the caller may read one experiment (by id) or model (by name) that exists."""
    return name in readable_names(request, resource_type, [name])
