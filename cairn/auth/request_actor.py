"""Who a request acts as, read the same way by every HTTP surface (the REST API and the web UI).

With ``--auth`` the server's auth middleware puts the signed-in ``Principal`` on the ASGI scope and
its user is the actor; a stated name is ignored. Without it, the name a client states in
``X-Cairn-User`` is recorded as unverified; the mlflow client and a browser state none, so their
changes are recorded under ``UNKNOWN_USER``.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request

from cairn.entities import Actor
from cairn.registry.validation import validate_actor_name

from .principal import Principal

PRINCIPAL_KEY = "cairn.principal"
USER_HEADER = "X-Cairn-User"
UNKNOWN_USER = "unknown"


def principal_of(request: Request) -> Principal | None:
    principal: Principal | None = request.scope.get(PRINCIPAL_KEY)
    return principal


def actor_of(request: Request) -> Actor:
    principal = principal_of(request)
    if principal is not None:
        return principal.actor()
    stated = request.headers.get(USER_HEADER)
    # Percent-encoded UTF-8, since header values are Latin-1 on the wire.
    return Actor(validate_actor_name(unquote(stated)) if stated is not None else UNKNOWN_USER, verified=False)
