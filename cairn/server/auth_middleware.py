"""Sign-in and permission checks for every request, before any other middleware or handler.

For each request, in order:
1. Find the route's rule in ``cairn.auth.route_table``. ``/health`` is public; everything else
   needs a signed-in caller.
2. Sign in from the ``Authorization`` header (HTTP Basic with a password or an API token, or a
   Bearer token). None or wrong: 401 with ``WWW-Authenticate`` and ``UNAUTHENTICATED``; too many
   failures: 429 with ``Retry-After``. On the web UI's routes (``Rule.browser``) only, a request
   without the header may sign in with the UI's session cookie instead; without either, the
   ``browser`` gate answers (a browser goes to the login page, a script gets the 401).
3. A route with no entry in the table is refused (403; deny by default).
4. Read the resources the rule names (a field of the query string or JSON body, a path
   parameter) and decide (``cairn.auth.access``): 403 ``PERMISSION_DENIED`` when not allowed.
   A body read here is handed on to the handler unchanged.
5. Put the principal in the request scope: handlers record it as the actor of every change.
6. For routes that create an experiment or model, give the creator MANAGE on it once the
   response says it was created.

Every refusal is MLflow's JSON error body, except that on the web UI's routes a browser gets an
HTML page (``cairn.ui.sign_in_gate``).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.auth import grants
from cairn.auth.access import Target, authorize
from cairn.auth.authentication import Authenticator
from cairn.auth.credentials import parse_authorization
from cairn.auth.route_table import ROUTE_TABLE, Access, RouteTable, Rule
from cairn.errors import CairnError, PayloadTooLarge, PermissionDenied, Unauthenticated
from cairn.store.auth_grants import EXPERIMENT
from cairn.ui.sign_in_gate import BrowserGate
from cairn.web.errors import send_error

from .auth_context import PRINCIPAL_KEY
from .auth_locators import locate, needs_fields, request_fields_of
from .state import ServerState
from .wire import decode_json

log = logging.getLogger(__name__)

SIGN_IN_HINT = ("Sign in: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN "
                "(or CAIRN_TRACKING_TOKEN) to an API token.")


class AuthMiddleware:
    """Applies the route table to every HTTP request of the tracking server."""

    def __init__(self, app: ASGIApp, state: ServerState, table: RouteTable = ROUTE_TABLE,
                 browser: BrowserGate | None = None) -> None:
        self.app = app
        self.state = state
        self.table = table
        self.authenticator = Authenticator(state.db)
        self.browser = browser

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        found = self.table.match(method, path)
        if found is not None and found[0].access is Access.PUBLIC:
            await self.app(scope, receive, send)
            return
        browser = self.browser if found is not None and found[0].browser else None
        try:
            credentials = parse_authorization(Headers(scope=scope).get("authorization"))
            if credentials is None and browser is not None:
                session = await run_in_threadpool(browser.session_principal, self.state.db, scope)
                if session is None:
                    await browser.sign_in_first(scope)(scope, receive, send)
                    return
                principal = session
            elif credentials is None:
                raise Unauthenticated(f"This server requires a sign-in. {SIGN_IN_HINT}")
            else:
                client = scope.get("client")
                address = client[0] if client else "unknown"
                principal = await run_in_threadpool(self.authenticator.sign_in, credentials, address)
        except CairnError as exc:  # 401 and 429 carry WWW-Authenticate and Retry-After
            await send_error(send, exc)
            return
        if found is None:
            await send_error(send, PermissionDenied(
                f"No access rule covers {method} {path}, so it is refused (deny by default)."))
            return
        rule, params = found
        try:
            receive, targets, subject = await self._targets(scope, receive, rule, params)
            config = self.state.config
            await run_in_threadpool(authorize, self.state.db, principal, rule, targets,
                                    default_permission=config.default_permission, subject=subject)
        except CairnError as exc:
            if browser is not None:
                scope[PRINCIPAL_KEY] = principal  # the refusal page says who is signed in
                await browser.refusal(scope, exc)(scope, receive, send)
                return
            await send_error(send, exc)
            return
        scope[PRINCIPAL_KEY] = principal
        if rule.creates is None:
            await self.app(scope, receive, send)
            return
        creates = rule.creates
        await self.app(scope, receive, self._granting(send, principal, creates, targets))

    async def _targets(self, scope: Scope, receive: Receive, rule: Rule,
                       params: dict[str, str]) -> tuple[Receive, list[Target], str | None]:
        if not needs_fields(rule) and rule.access is not Access.SELF_OR_ADMIN:
            if not rule.checks:
                return receive, [], None
            targets = await run_in_threadpool(locate, self.state.db, rule, request_fields_of("GET", b"", {}), params)
            return receive, targets, None
        query = scope.get("query_string", b"")
        body: dict[str, Any] | None = None
        if not (scope["method"] in ("GET", "HEAD") and query):
            raw = await _read_body(receive, self.state.config.max_body_bytes)
            receive = _replay(raw, receive)
            body = decode_json(raw)
        fields = request_fields_of(scope["method"], query, body)
        subject = None
        if rule.access is Access.SELF_OR_ADMIN:
            try:
                subject = fields.string("username")
            except CairnError:
                subject = None
        targets = await run_in_threadpool(locate, self.state.db, rule, fields, params)
        return receive, targets, subject

    def _granting(self, send: Send, principal: Any, resource_type: str, targets: list[Target]) -> Send:
        """A ``send`` that holds the response until it can read what was created, then gives
        the creator MANAGE on it (a model the request only added a version to is left alone)."""
        if any(t.key is not None and t.resource_type == resource_type for t in targets):
            return send
        held: list[Message] = []

        async def granting_send(message: Message) -> None:
            held.append(message)
            if message["type"] != "http.response.body" or message.get("more_body", False):
                return
            start = held[0]
            if start["type"] == "http.response.start" and start["status"] == 200:
                body = b"".join(m.get("body", b"") for m in held[1:])
                await run_in_threadpool(self._grant_creator, principal, resource_type, body)
            for item in held:
                await send(item)

        return granting_send

    def _grant_creator(self, principal: Any, resource_type: str, body: bytes) -> None:
        try:
            payload = orjson.loads(body)
            if resource_type == EXPERIMENT:
                resource = str(payload["experiment_id"])
            else:
                resource = str((payload.get("registered_model") or payload.get("model_version"))["name"])
            grants.grant_creator(self.state.db, principal.user, resource_type, resource, principal.actor())
        except (CairnError, KeyError, TypeError, ValueError) as exc:
            log.error("could not give the creator MANAGE on a new %s: %s", resource_type, exc)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request bodies are limited to {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
