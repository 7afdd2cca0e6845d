"""Every failure, in every app, becomes ``{"error_code", "message"}`` the same way.

* ``CairnError`` (anything a user can cause): its own error code and HTTP status, its message.
  A 5xx one (the store is down, say) is also logged.
* Starlette's routing errors: 404 ``ENDPOINT_NOT_FOUND`` for unknown paths, 405 for a known path
  called with the wrong method (MLflow answers both with an HTML page).
* A client that hangs up mid-request gets nothing (there is no one to answer) and an info line.
* Anything else is a bug or an outage: 500 with a generic message; the details (traceback, SQL,
  file paths) go to the server log only.

``exception_handlers()`` is the table an app gives Starlette; ``error_response`` is the mapping
itself, for an app that adds headers to it; ``send_error`` answers from plain ASGI middleware
that refuses a request before any app runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Send

from cairn.errors import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_500_INTERNAL_SERVER_ERROR,
    BadRequest,
    CairnError,
    EndpointNotFound,
    RangeNotSatisfiable,
    TooManyRequests,
    Unauthenticated,
)

log = logging.getLogger(__name__)

JSON_MEDIA_TYPE = "application/json"
INTERNAL_ERROR_MESSAGE = "Internal server error; the server log has the details."

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def error_body(error: CairnError) -> bytes:
    """Compact JSON ``{"error_code": ..., "message": ...}``."""
    return orjson.dumps(error.to_wire())


# How a client is asked to sign in (HTTP Basic; a token goes as the password or as a Bearer).
REALM = 'Basic realm="cairn", charset="UTF-8"'


def headers_of(error: CairnError) -> dict[str, str]:
    """The headers HTTP asks for with ``error``: ``WWW-Authenticate`` on a 401, ``Content-Range``
    on a 416, ``Retry-After`` on a 429."""
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": REALM}
    if isinstance(error, RangeNotSatisfiable):
        return {"Content-Range": f"bytes */{error.size}"}
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.retry_after_s)}
    return {}


def error_response(request: Request, error: CairnError, headers: Mapping[str, str] | None = None) -> Response:
    """The response for ``error``: its HTTP status, JSON body and ``headers_of`` it; a 5xx is
    logged too."""
    if error.http_status >= HTTP_500_INTERNAL_SERVER_ERROR:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, error.error_code, error.message)
    return _json_error(error, error.http_status, {**headers_of(error), **(headers or {})})


async def send_error(send: Send, error: CairnError, headers: Mapping[str, str] | None = None) -> None:
    """Answer ``error`` straight to the ASGI server, for middleware that runs before any app;
    ``headers_of(error)`` and ``headers`` go with it."""
    body = error_body(error)
    merged = {**headers_of(error), **(headers or {})}
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
    await send({
        "type": "http.response.start",
        "status": error.http_status,
        "headers": [(b"content-type", JSON_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                    *extra],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def exception_handlers(endpoints: str) -> dict[type[Exception], ExceptionHandler]:
    """Starlette's ``exception_handlers`` for an app; ``endpoints`` tells a caller who asked for
    an unknown path what the app does answer (one sentence)."""

    async def handle_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        error: CairnError
        if exc.status_code == HTTP_404_NOT_FOUND:
            error = EndpointNotFound(f"No endpoint {request.method} {request.url.path}. {endpoints}")
        elif exc.status_code == HTTP_405_METHOD_NOT_ALLOWED:
            allowed = (exc.headers or {}).get("Allow", "")
            error = BadRequest(f"{request.url.path} does not accept {request.method}; "
                               f"use {allowed or 'another method'}.")
        else:
            error = BadRequest(str(exc.detail))
        # Starlette's status stands (405 is not BadRequest's 400), with its headers (Allow).
        return _json_error(error, exc.status_code, exc.headers)

    return {
        CairnError: handle_cairn_error,
        HTTPException: handle_http_error,
        ClientDisconnect: handle_client_disconnect,
        Exception: handle_unexpected_error,
    }


async def handle_cairn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CairnError)
    return error_response(request, exc)


async def handle_client_disconnect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientDisconnect)
    log.info("%s %s: the client disconnected before sending the whole request", request.method, request.url.path)
    return Response(status_code=HTTP_400_BAD_REQUEST)


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this response is sent, so the server log also gets the traceback.
    log.error("%s %s failed with an unexpected %s", request.method, request.url.path, type(exc).__name__)
    return _json_error(CairnError(INTERNAL_ERROR_MESSAGE), HTTP_500_INTERNAL_SERVER_ERROR)


def _json_error(error: CairnError, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(error_body(error), status_code=status, media_type=JSON_MEDIA_TYPE, headers=headers)
