"""The serving app: ``/invocations``, ``/ping``, ``/version``, ``/metadata``.

Every response, errors included, carries ``X-Cairn-Model-Version``; a prediction response also
carries ``model_version`` and one ``prediction_ids`` entry per row, so any prediction can be
traced to the version that made it. Errors are ``{"error_code", "message"}`` from one handler.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import BadRequest, CairnError, PayloadTooLarge

from .deployment import Deployment
from .scoring import parse_scoring_request, prediction_rows

VERSION_HEADER = "X-Cairn-Model-Version"
HTTP_200_OK = 200
HTTP_500_INTERNAL_SERVER_ERROR = 500
MAX_BODY_BYTES = 16 * 1024 * 1024
_JSON = "application/json"
_log = logging.getLogger("cairn.serving")


def new_prediction_id() -> str:
    return uuid.uuid4().hex


def create_app(deployment: Deployment, max_body_bytes: int = MAX_BODY_BYTES,
               new_id: Callable[[], str] = new_prediction_id) -> Starlette:
    """The ASGI app serving ``deployment``; ``new_id`` makes one prediction id per row."""

    async def invocations(request: Request) -> Response:
        payload = await _read_json(request, max_body_bytes)
        data = parse_scoring_request(payload)
        arm = deployment.choose_arm()
        predictions = await run_in_threadpool(arm.model.predict, data, deployment.extra_columns)
        rows = prediction_rows(predictions)
        return _json({
            "predictions": rows,
            "model_name": deployment.model_name,
            "model_version": arm.version,
            "prediction_ids": [new_id() for _ in rows],
        }, version=arm.version)

    async def ping(request: Request) -> Response:
        return _json({"status": "ok"})

    async def version(request: Request) -> Response:
        from cairn import __version__

        return _json({"cairn_version": __version__, "model_name": deployment.model_name,
                      "model_version": deployment.primary.version})

    async def metadata(request: Request) -> Response:
        return _json(deployment.describe())

    async def on_cairn_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CairnError)
        return _json(exc.to_wire(), status=exc.http_status)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("prediction failed")
        return _json({"error_code": "INTERNAL_ERROR", "message": "The model failed to predict; see the server log."},
                     status=HTTP_500_INTERNAL_SERVER_ERROR)

    app = Starlette(
        routes=[
            Route("/invocations", invocations, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
            Route("/health", ping, methods=["GET"]),
            Route("/version", version, methods=["GET"]),
            Route("/metadata", metadata, methods=["GET"]),
        ],
        exception_handlers={CairnError: on_cairn_error, Exception: on_unexpected},
    )
    return _VersionHeader(app, deployment)  # type: ignore[return-value]


def app_from_env() -> Starlette:
    """The app for one uvicorn worker: ``serve`` names the model and pinned version in the
    environment, so every worker loads the same version."""
    from cairn.client.client import Client

    from .deployment import load_deployment

    client = Client(os.environ.get("CAIRN_TRACKING_URI") or None)
    deployment = load_deployment(client, os.environ["CAIRN_SERVE_MODEL"], os.environ["CAIRN_SERVE_REF"],
                                 os.environ.get("CAIRN_SERVE_EXTRA_COLUMNS", "reject"))  # type: ignore[arg-type]
    client.close()
    return create_app(deployment)


class _VersionHeader:
    """Adds the serving version header to every response, including 404s and errors."""

    def __init__(self, app: ASGIApp, deployment: Deployment) -> None:
        self.app = app
        self.deployment = deployment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                name = VERSION_HEADER.lower().encode()
                if not any(key == name for key, _ in headers):
                    headers.append((name, self.deployment.primary.version.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)


async def _read_json(request: Request, limit: int) -> Any:
    content_type = request.headers.get("content-type", _JSON).split(";")[0].strip().lower()
    if content_type != _JSON:
        raise BadRequest(f"Send the request as {_JSON}, not '{content_type[:100]}'.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes; send fewer rows per request.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes; send fewer rows per request.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.") from None


def _json(document: Any, status: int = HTTP_200_OK, version: str | None = None) -> Response:
    headers = {VERSION_HEADER: version} if version is not None else None
    body = orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    return Response(body, status_code=status, media_type=_JSON, headers=headers)
