"""The serving app: ``/invocations``, ``/ping`` (and ``/health``), ``/version``, ``/metadata``.

``create_app`` wires the handlers (``invocations.py`` and the small ones here) to a
``ServingState`` in ``app.state``. What every Cairn app shares comes from ``cairn.web``: the body
limit, and the one mapping from errors to ``{"error_code", "message"}`` responses. Every response,
errors included, carries ``X-Cairn-Model-Version``. ``runtime.app_from_env`` builds the app a
uvicorn worker runs, Host check in front.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.tracking import clock
from cairn.web.body_limit import BodyLimit, BodyLimitMiddleware
from cairn.web.errors import exception_handlers
from cairn.web.version import cairn_version

from .deployment import Deployment
from .follower import DeploymentHolder
from .invocations import VersionRefusal, handle_version_refusal, invocations
from .pacing import InlinePacer
from .prediction_log import PredictionLogger
from .responses import VERSION_HEADER, VersionHeaderMiddleware, json_response
from .shadow import ShadowRunner
from .state import ServingState, state_of

__all__ = ["MAX_BODY_BYTES", "VERSION_HEADER", "create_app"]

MAX_BODY_BYTES = 16 * 1024 * 1024
BODY_HINT = "Send fewer rows per request."
ENDPOINTS = "This server answers POST /invocations and GET /ping, /health, /version and /metadata."

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def new_prediction_id() -> str:
    return uuid.uuid4().hex


async def ping(request: Request) -> Response:
    return json_response({"status": "ok"})


async def version(request: Request) -> Response:
    current = state_of(request).holder.current
    return json_response({"cairn_version": cairn_version(), "model_name": current.model_name,
                          "model_version": current.primary.version})


async def metadata(request: Request) -> Response:
    state = state_of(request)
    described = state.holder.current.describe()
    described["deployment_changes"] = state.holder.changes
    log = state.prediction_log
    described["prediction_log"] = {"enabled": True, **log.stats()} if log is not None else {"enabled": False}
    described["shadow"] = state.shadows.stats()
    return json_response(described)


ROUTES = [
    Route("/invocations", invocations, methods=["POST"]),
    Route("/ping", ping, methods=["GET"]),
    Route("/health", ping, methods=["GET"]),
    Route("/version", version, methods=["GET"]),
    Route("/metadata", metadata, methods=["GET"]),
]


def create_app(deployment: Deployment | DeploymentHolder, max_body_bytes: int = MAX_BODY_BYTES,
               new_id: Callable[[], str] = new_prediction_id, prediction_log: PredictionLogger | None = None,
               lifespan: Lifespan | None = None, strict_ranges: bool = False) -> Starlette:
    """The ASGI app serving ``deployment`` (a fixed one, or a holder a follower swaps);
    ``new_id`` makes one prediction id per row; ``prediction_log`` (None: off) records them;
    ``lifespan`` (the caller's) wraps the app's own, which closes the shadow and the log;
    ``strict_ranges`` answers 400 to rows outside a version's training ranges (else they are flagged)."""
    holder = deployment if isinstance(deployment, DeploymentHolder) else DeploymentHolder(deployment)
    state = ServingState(holder, new_id, prediction_log, ShadowRunner(prediction_log, new_id, clock.now_ms),
                         InlinePacer(), strict_ranges)
    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(BodyLimitMiddleware, limit=BodyLimit(max_body_bytes, hint=BODY_HINT))],
        exception_handlers={**exception_handlers(ENDPOINTS), VersionRefusal: handle_version_refusal},
        lifespan=partial(_running, state=state, outer=lifespan),
    )
    app.state.serving = state
    return VersionHeaderMiddleware(app, holder)  # type: ignore[return-value]


@asynccontextmanager
async def _running(app: Starlette, state: ServingState, outer: Lifespan | None) -> AsyncIterator[None]:
    # The shadow and the log finish before the caller's lifespan closes what they write to.
    async with outer(app) if outer is not None else nullcontext():
        try:
            yield
        finally:
            state.close()
