"""Sign-in for ``cairn serve --auth``: its admin routes (``/version``, ``/metadata``) need a caller
who may read the served model; ``/invocations``, ``/ping`` and ``/health`` stay open. The rules
are ``cairn.auth.route_table.SERVING_ROUTES``; a route without an entry is refused.

Who the caller is, and what they may read, is decided where the users live: on the store itself
when the tracking URI names one (``StoreCheck``), or by the tracking server when it is one
(``ServerCheck`` asks it for the model with the caller's own ``Authorization`` header, so the
server's route table and throttling apply unchanged).
"""

from __future__ import annotations

from typing import Protocol

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from cairn.auth.access import Target, authorize
from cairn.auth.admin import store_url
from cairn.auth.authentication import Authenticator
from cairn.auth.credentials import parse_authorization
from cairn.auth.grants import REGISTERED_MODEL
from cairn.auth.permissions import NO_PERMISSIONS
from cairn.auth.route_table import SERVING_ROUTE_TABLE, Access, RouteTable, Rule
from cairn.errors import (
    CairnError,
    PermissionDenied,
    StoreUnavailable,
    TooManyRequests,
    Unauthenticated,
    error_from_wire,
)
from cairn.store import auth_grants
from cairn.store.database import Database, open_database
from cairn.web.errors import send_error

MODEL_PATH = "/api/2.0/mlflow/registered-models/get"
CHECK_TIMEOUT_S = 10.0


class AccessCheck(Protocol):
    def check(self, authorization: str | None, address: str, rule: Rule) -> None: ...
    def close(self) -> None: ...


class StoreCheck:
    """Signs the caller in against the store's users and applies the rule there."""

    def __init__(self, db: Database, model_name: str) -> None:
        self.db = db
        self.model_name = model_name
        self.authenticator = Authenticator(db)

    def check(self, authorization: str | None, address: str, rule: Rule) -> None:
        credentials = parse_authorization(authorization)
        if credentials is None:
            raise Unauthenticated("This route needs a sign-in (MLFLOW_TRACKING_USERNAME/PASSWORD or a token).")
        principal = self.authenticator.sign_in(credentials, address)
        with self.db.read() as tx:
            key = auth_grants.model_key(tx, self.model_name)
        targets = [Target(check, REGISTERED_MODEL, key, repr(self.model_name)) for check in rule.checks]
        authorize(self.db, principal, rule, targets, default_permission=NO_PERMISSIONS)

    def close(self) -> None:
        self.db.close()


class ServerCheck:
    """Asks the tracking server whether the caller may read the served model."""

    def __init__(self, tracking_uri: str, model_name: str) -> None:
        self.http = httpx.Client(base_url=tracking_uri.rstrip("/"), timeout=CHECK_TIMEOUT_S)
        self.model_name = model_name

    def check(self, authorization: str | None, address: str, rule: Rule) -> None:
        if authorization is None:
            raise Unauthenticated("This route needs a sign-in (MLFLOW_TRACKING_USERNAME/PASSWORD or a token).")
        try:
            response = self.http.get(MODEL_PATH, params={"name": self.model_name},
                                     headers={"Authorization": authorization})
        except httpx.TransportError:
            raise StoreUnavailable("The tracking server that checks sign-ins cannot be reached; retry shortly.") \
                from None
        if response.is_success:
            return
        try:
            body = response.json()
            error = error_from_wire(str(body["error_code"]), str(body["message"]), response.status_code)
        except (ValueError, KeyError, TypeError):
            error = StoreUnavailable(f"The tracking server answered {response.status_code} to a sign-in check.")
        if isinstance(error, (Unauthenticated, PermissionDenied, TooManyRequests)):
            if isinstance(error, TooManyRequests):
                error.retry_after_s = int(response.headers.get("retry-after", "1") or 1)
            raise error
        raise PermissionDenied(f"Reading model '{self.model_name}' was refused: {error.message}")

    def close(self) -> None:
        self.http.close()


def access_check_for(tracking_uri: str | None, model_name: str) -> AccessCheck:
    uri = tracking_uri or ".cairn"
    if uri.startswith(("http://", "https://")):
        return ServerCheck(uri, model_name)
    return StoreCheck(open_database(store_url(uri)), model_name)


class ServingAuthMiddleware:
    """The outermost middleware of a ``cairn serve --auth`` worker."""

    def __init__(self, app: ASGIApp, access: AccessCheck, table: RouteTable = SERVING_ROUTE_TABLE) -> None:
        self.app = app
        self.access = access
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self.table.match(scope["method"], scope["path"])
        if found is not None and found[0].access is Access.PUBLIC:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        authorization = Headers(scope=scope).get("authorization")
        if found is None:
            error: CairnError = (PermissionDenied if authorization else Unauthenticated)(
                f"No access rule covers {scope['method']} {scope['path']}, so it is refused (deny by default).")
            await send_error(send, error)
            return
        try:
            await run_in_threadpool(self.access.check, authorization, client[0] if client else "unknown", found[0])
        except CairnError as exc:  # 401 and 429 carry WWW-Authenticate and Retry-After
            await send_error(send, exc)
            return
        await self.app(scope, receive, send)
