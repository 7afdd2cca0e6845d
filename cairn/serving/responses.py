"""How the serving app answers: compact JSON (NumPy values included), and on every response,
errors and 404s included, the ``X-Cairn-Model-Version`` header naming the version that answered
(the primary's, unless a handler names another)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .follower import DeploymentHolder

VERSION_HEADER = "X-Cairn-Model-Version"
JSON_MEDIA_TYPE = "application/json"


def json_response(document: Any, version: str | None = None) -> Response:
    """A 200 with ``document`` as compact JSON; ``version`` (when given) in the version header."""
    headers = {VERSION_HEADER: version} if version is not None else None
    body = orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    return Response(body, media_type=JSON_MEDIA_TYPE, headers=headers)


class VersionHeaderMiddleware:
    """Adds the primary's version to every response that does not name a version itself."""

    def __init__(self, app: ASGIApp, holder: DeploymentHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                name = VERSION_HEADER.lower().encode()
                if not any(key == name for key, _ in headers):
                    headers.append((name, self.holder.current.primary.version.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)
