"""API tokens and the auth log under /api/cairn/v1, mounted on a server with ``--auth``:
``tokens/create`` (a password sign-in only; the secret is in this one response and nowhere
else), ``tokens/list``, ``tokens/revoke`` and ``auth/events``. Users mint and revoke their own
tokens; admins those of anyone, service accounts included. Rules: ``cairn.auth.tokens``."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.auth import audit, tokens
from cairn.auth.permissions import SCOPE_ADMIN
from cairn.entities import ApiToken, AuthEvent
from cairn.errors import PermissionDenied

from .decoders import request_fields
from .routes_users import acting
from .state import db_of
from .wire import wire_json


def token_to_wire(t: ApiToken) -> dict[str, Any]:
    return {
        "token_id": t.token_id, "username": t.username, "name": t.name, "scopes": list(t.scopes),
        "creation_timestamp": t.creation_timestamp, "expiration_timestamp": t.expiration_timestamp,
        "last_used_timestamp": t.last_used_timestamp, "revoked_timestamp": t.revoked_timestamp,
        "created_by": t.created_by,
    }  # fmt: skip


def event_to_wire(e: AuthEvent) -> dict[str, Any]:
    return {"event_id": e.event_id, "timestamp": e.timestamp, "action": e.action, "actor": e.actor,
            "actor_id": e.actor_id, "actor_method": e.actor_method, "target": e.target, "details": e.details}


def _owner(request: Request, username: str | None) -> str:
    """Whose tokens a call is about: the caller's own, or (admins only) another user's."""
    principal = acting(request)
    if username is None or username == principal.username:
        return principal.username
    if not (principal.is_admin and principal.has_scope(SCOPE_ADMIN)):
        raise PermissionDenied(f"{principal.username} may only manage their own tokens.")
    return username


async def create_token(request: Request) -> Response:
    f = await request_fields(request)
    principal = acting(request)
    tokens.require_password_session(principal.method)
    owner = _owner(request, f.string("username"))
    raw_scopes = f.raw("scopes")
    scopes = raw_scopes if isinstance(raw_scopes, str) else f.strings("scopes")
    expires = f.string("expires") or str(f.int64("expires_in_days") or "")
    token, secret = await run_in_threadpool(
        lambda: tokens.create_token(db_of(request), owner, f.string("name") or "", scopes,
                                    tokens.parse_expiry_days(expires), principal.actor()))
    return wire_json({"token": token_to_wire(token), "secret": secret})


async def list_tokens(request: Request) -> Response:
    f = await request_fields(request)
    principal = acting(request)
    everyone = f.boolean("all")
    if everyone and not (principal.is_admin and principal.has_scope(SCOPE_ADMIN)):
        raise PermissionDenied("Only an admin may list everyone's tokens.")
    owner = None if everyone else _owner(request, f.string("username"))
    found = await run_in_threadpool(tokens.list_tokens, db_of(request), owner)
    return wire_json({"tokens": [token_to_wire(t) for t in found]})


async def revoke_token(request: Request) -> Response:
    f = await request_fields(request)
    principal = acting(request)
    admin = principal.is_admin and principal.has_scope(SCOPE_ADMIN)
    token = await run_in_threadpool(
        lambda: tokens.revoke_token(db_of(request), f.required_string("token_id"), principal.actor(),
                                    owner=None if admin else principal.username))
    return wire_json({"token": token_to_wire(token)})


async def list_events(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(audit.list_auth_events, db_of(request), f.int64("max_results", default=1000))
    return wire_json({"events": [event_to_wire(e) for e in found]})


ROUTES = [
    ("/tokens/create", ["POST"], create_token),
    ("/tokens/list", ["GET"], list_tokens),
    ("/tokens/revoke", ["POST"], revoke_token),
    ("/auth/events", ["GET"], list_events),
]
