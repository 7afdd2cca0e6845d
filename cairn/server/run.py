"""Start the server: ``serve(...)`` (what ``cairn server`` calls) and ``python -m cairn.server.run``.

The store is opened (created and migrated) once here, before uvicorn starts its workers, so that
several worker processes never race to migrate a fresh database. Settings reach the workers
through ``CAIRN_SERVER_*`` environment variables and the ``app_from_env`` factory.

Latency note: asyncio and uvloop set TCP_NODELAY on every accepted TCP connection (in the
parent's socket or a worker's alike), so a keep-alive response is never held back by Nagle's
algorithm waiting for the client's delayed ACK; ``tests/server`` checks the option on the accepted socket.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cairn.artifacts.destinations import open_artifact_store
from cairn.auth.permissions import validate_default_level
from cairn.errors import CairnError
from cairn.store.database import ENV_POOL_SIZE, open_database
from cairn.web import csrf

from . import supervisor
from .auth_notes import startup_notes
from .config import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_PORT,
    ENV_ALLOW_PRIVATE_WEBHOOKS,
    ENV_ALLOWED_HOSTS,
    ENV_ALLOWED_ORIGINS,
    ServerConfig,
    artifacts_destination_of,
    database_url,
    flag,
    split_names,
)

APP_FACTORY = "cairn.server.app:app_from_env"
# How long uvicorn's supervisor waits for a worker to answer its health ping before killing and
# replacing it. Its default (5 s) is shorter than a worker's start-up (importing Cairn and building
# the app) on a busy machine, where workers were then replaced forever without ever serving.
WORKER_HEALTHCHECK_TIMEOUT_S = 60


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    backend_store_uri: str | None = None,
    artifacts_destination: str | os.PathLike[str] | None = None,
    workers: int = 1,
    *,
    db_pool_size: int | None = None,
    allowed_hosts: Sequence[str] | None = None,
    allowed_origins: Sequence[str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_artifact_bytes: int | None = None,
    allow_private_webhook_targets: bool | None = None,
    log_level: str = "info",
    access_log: bool = False,
    auth: bool = False,
    default_permission: str = "NO_PERMISSIONS",
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
    artifacts_presigned: bool = False,
) -> None:
    """Run the server until interrupted.

    ``backend_store_uri``: a SQLAlchemy URL, a ``.db`` file or a folder (default
    ``./.cairn/cairn.db``; ``postgresql://user:password@host/db`` for PostgreSQL);
    ``artifacts_destination``: the artifact folder or ``s3://bucket/prefix`` (default
    ``./.cairn/artifacts``), with ``s3_endpoint_url`` and ``s3_region`` overriding
    ``AWS_ENDPOINT_URL`` and ``AWS_DEFAULT_REGION``; the S3 credentials come from the environment
    (``AWS_ACCESS_KEY_ID``...), never from a flag that ``ps`` would show. The artifact store is
    checked before the server listens. ``artifacts_presigned`` (S3 only, else ``InvalidParameter``)
    lets the mlflow client send large files' parts straight to the bucket through presigned URLs
    (MLflow's multipart-upload API). ``db_pool_size``: PostgreSQL connections per worker (default
    ``CAIRN_DB_POOL_SIZE``, else ``store.database.DEFAULT_POOL_SIZE``). ``allowed_hosts`` / ``allowed_origins`` default to the
    ``CAIRN_SERVER_ALLOWED_HOSTS`` / ``CAIRN_SERVER_ALLOWED_ORIGINS`` variables (comma-separated),
    ``allow_private_webhook_targets`` to ``CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS`` (default off).
    ``auth`` requires a sign-in on every route but ``/health`` and enforces permissions, with
    ``default_permission`` for resources a user holds no grant on. Raises ``InvalidParameter``
    for unusable settings, ``StoreUnavailable`` when a store cannot be opened.
    """

    if workers < 1:
        from cairn.errors import InvalidParameter

        raise InvalidParameter(f"--workers must be at least 1, got {workers}.")
    if db_pool_size is not None:
        os.environ[ENV_POOL_SIZE] = str(db_pool_size)  # read by every worker's open_database
    config = ServerConfig(
        backend_store_uri=database_url(backend_store_uri),
        artifacts_destination=artifacts_destination_of(artifacts_destination),
        host=host,
        allowed_hosts=_names(allowed_hosts, ENV_ALLOWED_HOSTS),
        allowed_origins=_names(allowed_origins, ENV_ALLOWED_ORIGINS),
        max_body_bytes=max_body_bytes,
        max_artifact_bytes=max_artifact_bytes,
        allow_private_webhook_targets=(
            allow_private_webhook_targets if allow_private_webhook_targets is not None
            else flag(ENV_ALLOW_PRIVATE_WEBHOOKS, os.environ.get(ENV_ALLOW_PRIVATE_WEBHOOKS))
        ),
        auth=auth,
        default_permission=validate_default_level(default_permission),
        s3_endpoint_url=s3_endpoint_url or None,
        s3_region=s3_region or None,
        artifacts_presigned=artifacts_presigned,
    )
    db = open_database(config.backend_store_uri)
    try:
        for line in startup_notes(config, db):
            print(line, file=sys.stderr)
    finally:
        db.close()
    # Opened once here so a wrong bucket, endpoint or key stops the start with a clear message.
    open_artifact_store(
        config.artifacts_destination, s3_endpoint_url=config.s3_endpoint_url, s3_region=config.s3_region
    ).close()
    os.environ.update(config.to_env())
    os.environ.update(csrf.shared_key_env())
    options: dict[str, object] = dict(
        app=APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_S,
        log_level=log_level,
        access_log=access_log,
        server_header=False,
        proxy_headers=False,
    )
    if workers > 1:
        # The supervisor needs none of what the checks above loaded: see ``supervisor``.
        sys.stdout.flush()
        sys.stderr.flush()
        argv = supervisor.command(options)
        os.execv(argv[0], argv)
    supervisor.run(options)


def _names(given: Sequence[str] | None, env_name: str) -> tuple[str, ...]:
    return tuple(given) if given is not None else split_names(os.environ.get(env_name))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cairn.server.run",
        description="Serve MLflow's tracking REST API and artifact proxy over a Cairn store.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--backend-store-uri", default=None, help="SQLAlchemy URL, .db file or folder")
    parser.add_argument("--artifacts-destination", default=None, help="folder or s3://bucket/prefix for artifacts")
    parser.add_argument("--s3-endpoint-url", default=None,
                        help="S3-compatible server for an s3:// destination (default: AWS_ENDPOINT_URL, else AWS)")
    parser.add_argument("--s3-region", default=None, help="region of the S3 bucket (default: AWS_DEFAULT_REGION)")
    parser.add_argument("--artifacts-presigned", action="store_true",
                        help="with an s3:// destination: clients upload large files' parts straight to the bucket")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db-pool-size", type=int, default=None, help="PostgreSQL connections per worker")
    parser.add_argument("--allowed-hosts", default=None, help="comma-separated extra Host names, or *")
    parser.add_argument("--allowed-origins", default=None, help="comma-separated browser origins, or *")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--max-artifact-bytes", type=int, default=None)
    parser.add_argument("--allow-private-webhook-targets", action="store_true", default=None,
                        help="let API clients add webhooks to private, loopback and link-local addresses")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--auth", action="store_true", help="require a sign-in and enforce permissions")
    parser.add_argument("--default-permission", default="NO_PERMISSIONS",
                        help="with --auth: NO_PERMISSIONS, READ, EDIT or MANAGE on resources without a grant")
    args = parser.parse_args(argv)
    try:
        serve(
            args.host, args.port, args.backend_store_uri, args.artifacts_destination, args.workers,
            db_pool_size=args.db_pool_size,
            allowed_hosts=None if args.allowed_hosts is None else split_names(args.allowed_hosts),
            allowed_origins=None if args.allowed_origins is None else split_names(args.allowed_origins),
            max_body_bytes=args.max_body_bytes, max_artifact_bytes=args.max_artifact_bytes,
            allow_private_webhook_targets=args.allow_private_webhook_targets,
            log_level=args.log_level, access_log=args.access_log, auth=args.auth,
            default_permission=args.default_permission,
            s3_endpoint_url=args.s3_endpoint_url, s3_region=args.s3_region,
            artifacts_presigned=args.artifacts_presigned,
        )  # fmt: skip
    except CairnError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
