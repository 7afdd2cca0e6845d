"""What a handler asks about the signed-in caller: who it is (``principal_of``; None on a server
without ``--auth``) and which experiments or models it may read (``readable_keys``), so searches
filter in their query and a page token never reaches a hidden row."""

from __future__ import annotations

from starlette.requests import Request

from cairn.auth import grants
from cairn.auth.grants import EXPERIMENT, REGISTERED_MODEL
from cairn.auth.request_actor import PRINCIPAL_KEY, principal_of

from .state import state_of

__all__ = ["EXPERIMENT", "PRINCIPAL_KEY", "REGISTERED_MODEL", "principal_of", "readable_keys"]


def readable_keys(request: Request, resource_type: str) -> list[str] | None:
    """Grant keys (experiment ids, registered-model keys) of what the caller may read; None
    means no restriction (no auth, an admin, or a default permission that reads)."""
    principal = principal_of(request)
    if principal is None:
        return None
    state = state_of(request)
    return grants.readable_keys(state.db, principal.user, resource_type, state.config.default_permission)
