"""``cairn server``: start the tracking server (MLflow REST API, Cairn API and web UI).

Thin like the rest of the CLI: parses the options and calls ``cairn.server.run.serve``, imported
only when the command runs so the rest of the CLI never loads the server.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.errors import CairnError
from cairn.store.database import DEFAULT_POOL_SIZE, ENV_POOL_SIZE, MAX_POOL_SIZE


def server(
    host: Annotated[str, typer.Option(
        help="Interface to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 5000,
    backend_store_uri: Annotated[str | None, typer.Option(
        metavar="URI", help="Metadata store: a folder, sqlite:///file.db or postgresql://user:password@host:5432/db "
                            "(default: the server's own, ./.cairn).")] = None,
    artifacts_destination: Annotated[str | None, typer.Option(
        metavar="DIR_OR_URI", help="Where artifacts are stored: a folder or s3://bucket/prefix "
                                   "(default: the server's own, ./.cairn/artifacts).")] = None,
    s3_endpoint_url: Annotated[str | None, typer.Option(
        metavar="URL", help="S3-compatible server for an s3:// destination, e.g. http://minio:9000 "
                            "(default: AWS_ENDPOINT_URL, else AWS). Keys come from AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY.")] = None,
    s3_region: Annotated[str | None, typer.Option(
        metavar="REGION", help="Region of the S3 bucket (default: AWS_DEFAULT_REGION).")] = None,
    artifacts_presigned: Annotated[bool, typer.Option(
        "--artifacts-presigned", show_default=False,
        help="With an s3:// destination: the mlflow client uploads large files (MLflow's multipart upload, "
             "files of MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE or more, 500 MB by default) in parts straight "
             "to the bucket through presigned URLs, so the bytes skip the server. Clients must reach the S3 "
             "endpoint the server uses (--s3-endpoint-url). Downloads still go through the server.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    db_pool_size: Annotated[int | None, typer.Option(
        "--db-pool-size", min=1, max=MAX_POOL_SIZE, metavar="N",
        help=f"PostgreSQL connections each worker keeps open (as many more under a burst; "
             f"default {DEFAULT_POOL_SIZE}, env {ENV_POOL_SIZE}). Keep workers x 2 x N below the database's "
             "max_connections.")] = None,
    allow_private_webhook_targets: Annotated[bool, typer.Option(
        "--allow-private-webhook-targets", show_default=False,
        help="Let API clients add webhooks to private, loopback and link-local addresses (refused by default; "
             "env CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS).")] = False,
    auth: Annotated[bool, typer.Option(
        "--auth", show_default=False,
        help="Require a sign-in (password or API token) and enforce per-experiment and per-model permissions. "
             "Create the first admin with `cairn users create-admin` against the same store.")] = False,
    default_permission: Annotated[str, typer.Option(
        "--default-permission", metavar="LEVEL",
        help="With --auth: what a user may do on experiments and models they hold no grant on: "
             "NO_PERMISSIONS, READ, EDIT or MANAGE.")] = "NO_PERMISSIONS",
) -> None:
    """Start the tracking server (MLflow REST API, Cairn API and web UI).

    \b
    Example:
      cairn server --host 0.0.0.0 --port 5000 --workers 4 --auth \\
        --backend-store-uri postgresql://cairn@db.internal/cairn
      cairn server --artifacts-destination s3://ml-artifacts/cairn --artifacts-presigned
    """
    try:
        from cairn.server.run import serve
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("cairn"):
            raise CairnError("This installation of Cairn has no server (cairn.server.run is missing).") from None
        raise CairnError(f"The server needs the Python package '{exc.name}'; install it and retry.") from None
    serve(host=host, port=port, backend_store_uri=backend_store_uri,
          artifacts_destination=artifacts_destination, workers=workers, db_pool_size=db_pool_size,
          allow_private_webhook_targets=allow_private_webhook_targets or None, auth=auth,
          default_permission=default_permission, s3_endpoint_url=s3_endpoint_url, s3_region=s3_region,
          artifacts_presigned=artifacts_presigned)


def register(app: typer.Typer) -> None:
    """Add ``server`` to the ``cairn`` command."""
    app.command("server")(server)
