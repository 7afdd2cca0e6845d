"""The routes a server with ``--auth`` adds: MLflow's user and permission API under both MLflow
prefixes (and the MLflow 3 per-user permission routes), Cairn's token and auth-log routes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import routes_permissions, routes_tokens, routes_users

Handler = Callable[[Request], Awaitable[Response]]

MLFLOW_PREFIXES = ("/api/2.0", "/ajax-api/2.0")
MLFLOW_V3_PREFIXES = ("/api/3.0", "/ajax-api/3.0")
CAIRN_PREFIX = "/api/cairn/v1"


def auth_routes() -> list[Route]:
    routes = []
    for prefix in MLFLOW_PREFIXES:
        routes += _routes(prefix, [*routes_users.ROUTES, *routes_permissions.ROUTES])
    for prefix in MLFLOW_V3_PREFIXES:
        routes += _routes(prefix, routes_permissions.V3_ROUTES)
    return routes + _routes(CAIRN_PREFIX, routes_tokens.ROUTES)


def _routes(prefix: str, table: Sequence[tuple[str, list[str], Any]]) -> list[Route]:
    by_path: dict[str, dict[str, Handler]] = defaultdict(dict)
    for path, methods, handler in table:
        for method in methods:
            by_path[path][method] = handler
    return [Route(prefix + path, _dispatch(handlers), methods=list(handlers)) for path, handlers in by_path.items()]


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint
