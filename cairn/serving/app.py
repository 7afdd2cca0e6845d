"""The serving app: ``/invocations``, ``/ping``, ``/version``, ``/metadata``.

Every response, errors included, carries ``X-Cairn-Model-Version``; a prediction response also
carries ``model_version`` and one ``prediction_ids`` entry per row (and, while a canary or A/B
test runs, ``model_versions`` and ``arms`` per row), so any prediction can be traced to the
version that made it. Each arm's answer goes to the prediction log after the response is built;
a shadow's copy runs on its own thread. Errors are ``{"error_code", "message"}`` from one handler.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import BadRequest, CairnError, PayloadTooLarge

from cairn.tracking import clock

from .deployment import KEY_HEADER, Deployment, row_count
from .deployment import Route as ArmRoute
from .follower import DeploymentHolder
from .prediction_log import PredictionLogger, Served
from .scoring import parse_scoring_request, prediction_rows
from .shadow import ShadowRunner

VERSION_HEADER = "X-Cairn-Model-Version"
HTTP_200_OK = 200
HTTP_500_INTERNAL_SERVER_ERROR = 500
MAX_BODY_BYTES = 16 * 1024 * 1024
INLINE_LIMIT_MS = 5.0
_JSON = "application/json"
_log = logging.getLogger("cairn.serving")


def new_prediction_id() -> str:
    return uuid.uuid4().hex


def create_app(deployment: Deployment | DeploymentHolder, max_body_bytes: int = MAX_BODY_BYTES,
               new_id: Callable[[], str] = new_prediction_id, prediction_log: PredictionLogger | None = None,
               lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None) -> Starlette:
    """The ASGI app serving ``deployment`` (a fixed one, or a holder a follower swaps);
    ``new_id`` makes one prediction id per row; ``prediction_log`` (None: off) records them."""
    holder = deployment if isinstance(deployment, DeploymentHolder) else DeploymentHolder(deployment)
    shadows = ShadowRunner(prediction_log, new_id, clock.now_ms)
    pacer = InlinePacer()

    async def invocations(request: Request) -> Response:
        payload = await _read_json(request, max_body_bytes)
        data = parse_scoring_request(payload)
        current = holder.current
        routes = current.route(data, request.headers.get(KEY_HEADER))
        request_id = uuid.uuid4().hex
        answers = [await _answer(current, route, data, payload, request_id) for route in routes]
        total = sum(len(a.outputs) for a in answers)
        rows: list[Any] = [None] * total
        versions: list[str] = [""] * total
        ids: list[str] = [""] * total
        arms: list[str] = [""] * total
        for answer in answers:
            for n, index in enumerate(answer.rows if answer.rows is not None else range(len(answer.outputs))):
                rows[index], versions[index], ids[index] = answer.outputs[n], answer.version, answer.prediction_ids[n]
                arms[index] = answer.arm
            if prediction_log is not None:
                prediction_log.submit(answer)
        if current.shadow is not None:
            shadows.submit(current, current.shadow, data, payload, request_id, total)
        served = sorted(set(versions), key=int)
        document = {"predictions": rows, "model_name": current.model_name, "model_version": ",".join(served),
                    "prediction_ids": ids}
        if len(routes) > 1 or current.canary is not None or current.challenger is not None:
            document["model_versions"] = versions
            document["arms"] = arms
        return _json(document, version=",".join(served))

    async def _answer(current: Deployment, route: ArmRoute, data: Any, payload: Any, request_id: str) -> Served:
        part = _rows(data, route.rows)
        started = time.perf_counter()
        try:
            prepared = current.prepare(route.arm, part)
            if pacer.inline(route.arm.version):
                predictions = route.arm.model.predict(prepared, current.extra_columns)
            else:
                predictions = await run_in_threadpool(route.arm.model.predict, prepared, current.extra_columns)
            outputs = prediction_rows(predictions)
            pacer.observe(route.arm.version, _ms_since(started))
        except Exception as exc:
            if prediction_log is not None:
                count = len(route.rows) if route.rows is not None else row_count(part)
                ids = [new_id() for _ in range(count)]
                prediction_log.submit(Served(clock.now_ms(), request_id, current.model_name, route.arm.name,
                                             route.arm.version, payload, route.rows, (), ids, _ms_since(started),
                                             f"{type(exc).__name__}: {exc}"[:2000]))
            if isinstance(exc, CairnError):
                raise _Stamped(exc, route.arm.version) from None
            # As MLflow's scoring server does: a model that fails on an input the signature let
            # through is answered 400, naming the model's complaint; no traceback is logged.
            _log.warning("version %s failed to predict: %s: %s", route.arm.version, type(exc).__name__, exc)
            refusal = BadRequest(f"Version {route.arm.version} failed to predict on this input: "
                                 f"{type(exc).__name__}: {_one_line(exc)}. Check the request against the "
                                 "model's signature (GET /metadata).")
            raise _Stamped(refusal, route.arm.version) from None
        if route.rows is not None and len(outputs) != len(route.rows):
            raise CairnError(f"Version {route.arm.version} returned {len(outputs)} predictions for "
                             f"{len(route.rows)} rows.")
        return Served(clock.now_ms(), request_id, current.model_name, route.arm.name, route.arm.version, payload,
                      route.rows, outputs, [new_id() for _ in outputs], _ms_since(started))

    async def ping(request: Request) -> Response:
        return _json({"status": "ok"})

    async def version(request: Request) -> Response:
        from cairn import __version__

        return _json({"cairn_version": __version__, "model_name": holder.current.model_name,
                      "model_version": holder.current.primary.version})

    async def metadata(request: Request) -> Response:
        described = holder.current.describe()
        described["deployment_changes"] = holder.changes
        described["prediction_log"] = ({"enabled": True, **prediction_log.stats()} if prediction_log is not None
                                       else {"enabled": False})
        described["shadow"] = shadows.stats()
        return _json(described)

    async def on_cairn_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CairnError)
        stamped = exc.version if isinstance(exc, _Stamped) else None
        cause = exc.cause if isinstance(exc, _Stamped) else exc
        return _json(cause.to_wire(), status=cause.http_status, version=stamped)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("prediction failed")
        return _json({"error_code": "INTERNAL_ERROR", "message": "The model failed to predict; see the server log."},
                     status=HTTP_500_INTERNAL_SERVER_ERROR)

    @asynccontextmanager
    async def running(app: Starlette) -> AsyncIterator[None]:
        # The shadow and the log finish before the caller's lifespan closes what they write to.
        async with lifespan(app) if lifespan is not None else nullcontext():
            try:
                yield
            finally:
                shadows.close()
                if prediction_log is not None:
                    prediction_log.close()

    app = Starlette(
        routes=[
            Route("/invocations", invocations, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
            Route("/health", ping, methods=["GET"]),
            Route("/version", version, methods=["GET"]),
            Route("/metadata", metadata, methods=["GET"]),
        ],
        exception_handlers={CairnError: on_cairn_error, Exception: on_unexpected},
        lifespan=running,
    )
    return _VersionHeader(app, holder)  # type: ignore[return-value]


def app_from_env() -> Starlette:
    """The app for one uvicorn worker: ``serve`` names the model, the pinned reference (if any)
    and the options in the environment. Each worker follows the registry on its own."""
    from .runtime import runtime_from_env

    return runtime_from_env()


class InlinePacer:
    """Whether a version predicts on the event loop or on a worker thread.

    Handing a call to a thread and back costs 0.3-0.9 ms here, more than a small model's whole
    prediction, and buys little: predict holds the interpreter lock for most of its time anyway.
    So versions whose predictions take under ``limit_ms`` (a moving average) run inline; slower
    ones go to the thread pool so that ``/ping`` and other requests are not held up behind them.
    """

    def __init__(self, limit_ms: float = INLINE_LIMIT_MS) -> None:
        self.limit_ms = limit_ms
        self._average: dict[str, float] = {}

    def inline(self, version: str) -> bool:
        return self._average.get(version, 0.0) < self.limit_ms

    def observe(self, version: str, elapsed_ms: float) -> None:
        previous = self._average.get(version)
        self._average[version] = elapsed_ms if previous is None else 0.9 * previous + 0.1 * elapsed_ms


class _Stamped(CairnError):
    """A refusal from one arm's model, carrying the version that refused."""

    def __init__(self, cause: CairnError, version: str) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.version = version


def _one_line(exc: Exception, limit: int = 500) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rows(data: Any, rows: list[int] | None) -> Any:
    if rows is None:
        return data
    if hasattr(data, "iloc"):
        return data.iloc[rows].reset_index(drop=True)
    return [data[i] for i in rows]


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class _VersionHeader:
    """Adds the serving version header to every response, including 404s and errors."""

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
