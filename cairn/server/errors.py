"""The server's exception handlers: every failure becomes ``{"error_code", "message"}``.

* ``CairnError`` (anything a user can cause): its own error code and HTTP status, its message.
* Starlette's routing errors: 404 ``ENDPOINT_NOT_FOUND`` for unknown paths, 405 for a known
  path called with the wrong method (MLflow answers both with an HTML page).
* A client that hangs up mid-request gets nothing (there is no one to answer) and an info line.
* Anything else is a bug or an outage: 500 with a generic message; the details (traceback,
  SQL, file paths) go to the server log only.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from cairn.errors import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_500_INTERNAL_SERVER_ERROR,
    BadRequest,
    CairnError,
    EndpointNotFound,
)

from .wire import wire_json

log = logging.getLogger("cairn.server")

INTERNAL_ERROR = "INTERNAL_ERROR"


async def handle_cairn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CairnError)
    if exc.http_status >= HTTP_500_INTERNAL_SERVER_ERROR:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.error_code, exc.message)
    return wire_json(exc.to_wire(), status_code=exc.http_status)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == HTTP_404_NOT_FOUND:
        error: CairnError = EndpointNotFound(
            f"No endpoint {request.method} {request.url.path}. This server speaks MLflow's REST API 2.0 "
            "under /api/2.0/mlflow/ and /api/2.0/mlflow-artifacts/."
        )
        return wire_json(error.to_wire(), status_code=exc.status_code)
    if exc.status_code == HTTP_405_METHOD_NOT_ALLOWED:
        allowed = (exc.headers or {}).get("Allow", "")
        error = BadRequest(f"{request.url.path} does not accept {request.method}; use {allowed or 'another method'}.")
        return wire_json(error.to_wire(), status_code=exc.status_code, headers=exc.headers)
    error = BadRequest(str(exc.detail))
    return wire_json(error.to_wire(), status_code=exc.status_code, headers=exc.headers)


async def handle_client_disconnect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientDisconnect)
    log.info("%s %s: the client disconnected before sending the whole request", request.method, request.url.path)
    return Response(status_code=HTTP_400_BAD_REQUEST)


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this response is sent, so the server log also gets the traceback.
    log.error("%s %s failed with an unexpected %s", request.method, request.url.path, type(exc).__name__)
    return wire_json(
        {"error_code": INTERNAL_ERROR, "message": "Internal server error; the server log has the details."},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )
