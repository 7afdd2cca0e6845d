"""``cairn serve NAME``: serve a registered model's version over HTTP (MLflow's scoring protocol).

Thin like the rest of the CLI: parses the options and calls ``cairn.serving.serve.serve``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cairn.cli.options import NameArgument
from cairn.errors import CairnError, InvalidParameter


def serve(
    ctx: typer.Context,
    name: NameArgument,
    alias: Annotated[str | None, typer.Option("--alias", "-a", help="Serve the version this alias points at.")] = None,
    version: Annotated[int | None, typer.Option("--version", "-v", min=1, help="Serve this version number.")] = None,
    stage: Annotated[str | None, typer.Option(
        "--stage", "-s", help="Serve the version in this stage (default: Production).")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 5001,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    extra_columns: Annotated[str, typer.Option(
        "--extra-columns", help="Columns the signature lacks: 'reject' (400) or 'drop'.")] = "reject",
    allowed_hosts: Annotated[str | None, typer.Option(
        "--allowed-hosts", metavar="NAMES",
        help="Extra Host names clients use (comma-separated; '*' for any). Others get 403.")] = None,
    prediction_log: Annotated[bool, typer.Option(
        "--prediction-log/--no-prediction-log", help="Record every prediction in the prediction log.")] = True,
    env_manager: Annotated[str, typer.Option(
        "--env-manager", metavar="local|venv",
        help="local: load each version here (refused, with the pip command, when its requirements are not "
             "met); venv: run each version in a worker inside a venv built from its requirements (cached).")
    ] = "local",
    strict_ranges: Annotated[bool, typer.Option(
        "--strict-ranges", show_default=False,
        help="Refuse (400, naming the feature and the range) rows with a value outside what the version was "
             "trained on; without it such rows are answered and flagged.")] = False,
    auth: Annotated[bool, typer.Option(
        "--auth", show_default=False,
        help="Admin routes (/version, /metadata) need a sign-in by a user who may read the model, checked "
             "against the tracking store or server.")] = False,
) -> None:
    """Serve a model's deployment: its Production version (or one alias, version or stage),
    plus the canary, shadow or A/B arm set with `cairn deployments set`.

    POST /invocations takes MLflow's dataframe_split, dataframe_records, instances or inputs;
    every response names the model version and gives each prediction an id. The server follows
    the registry: promotions, rollbacks and traffic changes apply within seconds, no restart.

    \b
    Example:
      cairn serve churn --alias champion --port 5001
    """
    if extra_columns not in ("reject", "drop"):
        raise InvalidParameter("--extra-columns must be 'reject' or 'drop'.")
    try:
        from cairn.serving.deployment import model_ref
        from cairn.serving.serve import serve as run_server
    except ModuleNotFoundError as exc:
        raise CairnError(f"Serving needs the Python package '{exc.name}'; install it and retry.") from None
    state = ctx.find_root().obj
    tracking_uri = getattr(state, "tracking_uri", None)
    run_server(name, model_ref(name, alias, version, stage), host=host, port=port, workers=workers,
               tracking_uri=tracking_uri, extra_columns=extra_columns,  # type: ignore[arg-type]
               prediction_log=prediction_log, auth=auth, env_manager=env_manager, progress=_progress,
               strict_ranges=strict_ranges,
               allowed_hosts=tuple(n.strip() for n in (allowed_hosts or "").split(",") if n.strip()))


def _progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``cairn`` command."""
    app.command("serve")(serve)
