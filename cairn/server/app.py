"""The ASGI application: routes, middleware, exception handlers and the open stores.

``create_app(backend_store_uri, artifacts_destination)`` builds it in-process; ``app_from_env()`` is the
factory uvicorn imports in every worker process (settings from ``CAIRN_SERVER_*`` variables).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cairn import ui
from cairn.artifacts.destinations import open_artifact_store
from cairn.registry.standby import StandbySweeper
from cairn.registry.webhook_delivery import start_worker, wake_worker
from cairn.store.database import open_database
from cairn.web.errors import exception_handlers
from cairn.web.version import cairn_version

from . import (
    routes_artifacts,
    routes_cairn_registry,
    routes_dataset_summaries,
    routes_datasets,
    routes_deployments,
    routes_evidence,
    routes_experiments,
    routes_get_artifact,
    routes_graphql,
    routes_imports,
    routes_logged_model_files,
    routes_logged_models,
    routes_metric_csv,
    routes_metric_series,
    routes_metrics,
    routes_metrics_bulk,
    routes_mlflow_webhooks,
    routes_multipart,
    routes_model_versions,
    routes_models,
    routes_retention,
    routes_run_table,
    routes_runs,
    routes_upload_artifact,
)
from .config import (
    DEFAULT_MAX_BODY_BYTES,
    ServerConfig,
    artifacts_destination_of,
    database_url,
)
from .middleware import server_middleware
from .routes_auth import auth_routes
from .state import ServerState, state_of
from .wire import wire_json

Handler = Callable[[Request], Awaitable[Response]]

# The MLflow client calls /api/2.0/...; MLflow's web UI calls the /ajax-api/2.0/... twins.
API_PREFIXES = ("/api/2.0", "/ajax-api/2.0")
SERVER_INFO_PATHS = ("/api/3.0/mlflow/server-info", "/ajax-api/3.0/mlflow/server-info")
ENDPOINTS = "This server speaks MLflow's REST API 2.0 under /api/2.0/mlflow/ and /api/2.0/mlflow-artifacts/."


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def version(request: Request) -> Response:
    return PlainTextResponse(cairn_version())


async def server_info(request: Request) -> Response:
    # The mlflow client asks before large artifact transfers. With --artifacts-presigned it then
    # sends large files' parts straight to S3 (routes_multipart); downloads always stream through
    # the proxy routes, which check each file's sha256.
    return wire_json({
        "store_type": "SqlStore",
        "workspaces_enabled": False,
        "trace_archival_enabled": False,
        "multipart_uploads_enabled": state_of(request).presigned is not None,
        "multipart_downloads_enabled": False,
    })  # fmt: skip


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    # Starlette answers HEAD with the GET route; the GET handler serves it.
    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint


def api_routes() -> list[Route]:
    """One Route per path (so a wrong method gets 405 listing every allowed one), per prefix."""
    by_path: dict[str, dict[str, Handler]] = defaultdict(dict)
    for module in (routes_experiments, routes_runs, routes_metrics, routes_metrics_bulk, routes_dataset_summaries,
                   routes_artifacts, routes_multipart, routes_upload_artifact, routes_logged_models,
                   routes_logged_model_files, routes_models, routes_model_versions, routes_mlflow_webhooks):
        for path, methods, handler in module.ROUTES:
            for method in methods:
                by_path[path][method] = handler
    routes = []
    for prefix in API_PREFIXES:
        for path, handlers in by_path.items():
            endpoint = next(iter(handlers.values())) if len(set(handlers.values())) == 1 else _dispatch(handlers)
            routes.append(Route(prefix + path, endpoint, methods=list(handlers)))
    return routes


def create_app(
    backend_store_uri: str | None = None,
    artifacts_destination: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    allowed_hosts: tuple[str, ...] = (),
    allowed_origins: tuple[str, ...] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_artifact_bytes: int | None = None,
    auth: bool = False,
    default_permission: str = "NO_PERMISSIONS",
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
    artifacts_presigned: bool = False,
) -> Starlette:
    """The server app over the store at ``backend_store_uri`` (a SQLAlchemy URL, a ``.db`` file
    or a folder; default ``./.cairn/cairn.db``) and artifacts in ``artifacts_destination`` (a
    folder or ``s3://bucket/prefix``); ``auth`` requires a sign-in and enforces permissions."""
    config = ServerConfig(
        backend_store_uri=database_url(backend_store_uri),
        artifacts_destination=artifacts_destination_of(artifacts_destination),
        host=host,
        allowed_hosts=allowed_hosts,
        allowed_origins=allowed_origins,
        max_body_bytes=max_body_bytes,
        max_artifact_bytes=max_artifact_bytes,
        auth=auth,
        default_permission=default_permission,
        s3_endpoint_url=s3_endpoint_url,
        s3_region=s3_region,
        artifacts_presigned=artifacts_presigned,
    )
    return build_app(config)


def app_from_env() -> Starlette:
    """uvicorn's app factory for worker processes (``--factory``)."""
    return build_app(ServerConfig.from_env())


def build_app(config: ServerConfig) -> Starlette:
    artifacts = open_artifact_store(
        config.artifacts_destination, s3_endpoint_url=config.s3_endpoint_url, s3_region=config.s3_region
    )
    presigned = artifacts.presigned_uploads() if config.artifacts_presigned else None
    state = ServerState(config, open_database(config.backend_store_uri), artifacts, presigned)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Every worker process sends webhooks from start-up: the outbox is shared, and what a
        # stopped or killed process left unsent must not wait for the next registry change.
        worker = start_worker(app.state, state.db)
        # Stability windows end on time for models no serving process polls (see registry.standby).
        sweeper = StandbySweeper(state.db, on_archived=lambda: wake_worker(app.state, state.db))
        try:
            yield
        finally:
            sweeper.close()
            worker.close()
            state.db.close()
            state.artifacts.close()

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        *(Route(path, server_info, methods=["GET"]) for path in SERVER_INFO_PATHS),
        *api_routes(),
        *routes_cairn_registry.routes(),
        *routes_datasets.routes(),
        *routes_deployments.routes(),
        *routes_evidence.routes(),
        *routes_graphql.routes(),
        *routes_imports.routes(),
        *routes_get_artifact.routes(),
        *routes_metric_series.routes(),
        *routes_metric_csv.routes(),
        *routes_retention.routes(),
        *routes_run_table.routes(),
        *(auth_routes() if config.auth else []),
        *ui.routes(sign_in=config.auth),  # the web UI at /, last: every API route above wins
    ]
    app = Starlette(
        routes=routes,
        middleware=server_middleware(config, state),
        exception_handlers=exception_handlers(ENDPOINTS),
        lifespan=lifespan,
    )
    # A trailing-slash redirect would send clients somewhere they did not ask to go; 404 instead.
    app.router.redirect_slashes = False
    app.state.cairn = state
    return app
