"""The ``cairn`` command: read experiments, runs and artifacts from a terminal, start the server.

Thin by rule: each command parses its options, calls ``Client``, and hands one document from
``cli_views`` to ``emit``, which writes it as compact JSON (``--json``) or draws it with
``cli_render``. ``main`` maps failures to exit codes: 0 success, 1 a ``CairnError`` (one
``Error: ...`` line on stderr, no traceback), 2 wrong usage, 130 Ctrl-C; a closed pipe exits
quietly. Typer for parsing (Click underneath), Rich for tables.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cairn import cli_lookup as lookup
from cairn import cli_render as render
from cairn import cli_views as views
from cairn.cli_datasets import register as register_dataset_commands
from cairn.cli_deployments import register as register_deployment_commands
from cairn.cli_models import models_app
from cairn.cli_output import client as _client
from cairn.cli_output import emit
from cairn.cli_serve import register as register_serve_command
from cairn.cli_webhooks import webhooks_app
from cairn.entities import ViewType
from cairn.errors import CairnError

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.client.client import Client

JSON_CURVE_POINTS = 100
_QUIET = logging.NullHandler()


class _Interrupted(Exception):
    pass


class _PipeClosed(Exception):
    pass


class _RootGroup(TyperGroup):
    # Click turns Ctrl-C into a silent exit 130 and a closed pipe into a bare exit; raising our own
    # markers lets main() print the one-line notice and keep a closed pipe quiet in one place.
    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise _PipeClosed() from None


_SETTINGS = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    cls=_RootGroup, name="cairn", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False, context_settings=_SETTINGS,
    help="Cairn: track experiments and runs, and see what produced each result.\n\n"
         "\b\nExample:\n  cairn --tracking-uri ./.cairn runs list --experiment churn",
)
experiments_app = typer.Typer(
    no_args_is_help=True, context_settings=_SETTINGS,
    help="Experiments: named groups of runs.\n\n\b\nExample:\n  cairn experiments list --all",
)
runs_app = typer.Typer(
    no_args_is_help=True, context_settings=_SETTINGS,
    help="Runs: search them, or show everything one run recorded.\n\n"
         "\b\nExample:\n  cairn runs show 3f2a9c --experiment churn",
)
artifacts_app = typer.Typer(
    no_args_is_help=True, context_settings=_SETTINGS,
    help="Artifacts: files stored with a run.\n\n\b\nExample:\n  cairn artifacts list 3f2a9c model",
)
app.add_typer(experiments_app, name="experiments")
app.add_typer(runs_app, name="runs")
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(models_app, name="models")
app.add_typer(webhooks_app, name="webhooks")
register_dataset_commands(app)
register_deployment_commands(app)
register_serve_command(app)

# Options shared by several commands, defined once.
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Write one compact JSON document to stdout instead of tables.")]
ExperimentOption = Annotated[str | None, typer.Option(
    "--experiment", "-e", metavar="NAME_OR_ID", help="Experiment name or id (default: every experiment).")]
RunArgument = Annotated[str, typer.Argument(
    metavar="RUN", help=f"Run id, a unique id prefix ({lookup.MIN_ID_PREFIX}+ characters), or a run name.",
    show_default=False)]
ArtifactPathArgument = Annotated[str, typer.Argument(
    metavar="PATH", help="Artifact path inside the run (default: the run's root).", show_default=False)]


@dataclass
class _State:
    tracking_uri: str | None
    client: Client | None = None


def _version() -> str:
    try:
        return metadata.version("cairn-tracker")
    except metadata.PackageNotFoundError:
        from cairn import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"cairn {_version()}\n")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    tracking_uri: Annotated[str | None, typer.Option(
        "--tracking-uri", envvar="CAIRN_TRACKING_URI", metavar="URI",
        help="Store to read: a folder, sqlite:///file.db, postgresql+psycopg://... or http(s)://server "
             "(default: ./.cairn).")] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log details of failures (database, network) to stderr.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print Cairn's version and exit.")] = False,
) -> None:
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("cairn").addHandler(handler)
    ctx.obj = _State(tracking_uri)






def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _note(message: str) -> None:
    sys.stderr.write(message + "\n")


# experiments ---------------------------------------------------------------------------------
@experiments_app.command("list")
def list_experiments(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include deleted experiments.")] = False,
    deleted: Annotated[bool, typer.Option("--deleted", help="Only deleted experiments.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List experiments.

    \b
    Example:
      cairn experiments list --all --json
    """
    if all_ and deleted:
        raise typer.BadParameter("use --all or --deleted, not both.", param_hint="'--all' / '--deleted'")
    view = ViewType.ALL if all_ else ViewType.DELETED_ONLY if deleted else ViewType.ACTIVE_ONLY
    experiments = lookup.all_experiments(_client(ctx), view)
    emit(views.experiments_view(experiments), as_json, render.render_experiments)


# runs ----------------------------------------------------------------------------------------
@runs_app.command("list")
def list_runs(
    ctx: typer.Context,
    experiment: ExperimentOption = None,
    filter_string: Annotated[str, typer.Option(
        "--filter", "-f", metavar="EXPR",
        help="Search filter, e.g. \"metrics.acc > 0.9 OR params.optimizer = 'adam'\".")] = "",
    order_by: Annotated[list[str] | None, typer.Option(
        "--order-by", "-o", metavar="KEY [ASC|DESC]",
        help="Sort key, e.g. \"metrics.acc DESC\"; repeat for ties (default: newest first).")] = None,
    max_results: Annotated[int, typer.Option("--max", "-n", min=1, help="Show at most N runs.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List runs with their params and latest metrics, newest first.

    \b
    Example:
      cairn runs list -e churn -f "metrics.acc > 0.9" -o "metrics.acc DESC"
    """
    client = _client(ctx)
    experiments = lookup.experiments_for(client, experiment, ViewType.ACTIVE_ONLY)
    runs = lookup.search_runs(client, list(experiments), filter_string, order_by, max_results + 1,
                              ViewType.ACTIVE_ONLY)
    doc = views.runs_view(runs[:max_results], experiments, has_more=len(runs) > max_results)
    emit(doc, as_json, render.render_runs)


@runs_app.command("show")
def show_run(ctx: typer.Context, run: RunArgument, experiment: ExperimentOption = None,
             as_json: JsonOption = False) -> None:
    """Show one run: params, metric curves, code, environment, seeds, tags and artifacts.

    \b
    Example:
      cairn runs show 3f2a9c1b
    """
    client = _client(ctx)
    found = lookup.resolve_run(client, run, experiment)
    run_id = found.run_id
    metric_keys = sorted(found.data.metrics)
    histories = {key: client.get_metric_history(run_id, key) for key in metric_keys}
    files = lookup.walk_artifacts(client, run_id)
    texts = {
        path: lookup.read_artifact_text(client, run_id, path)
        for path in (views.DIFF_ARTIFACT, views.REQUIREMENTS_ARTIFACT)
        if any(f.path == path for f in files)
    }
    width = JSON_CURVE_POINTS if as_json else render.chart_width(_console().width, metric_keys)
    doc = views.run_detail(
        found, client.get_experiment(found.info.experiment_id), histories, files,
        texts.get(views.DIFF_ARTIFACT), texts.get(views.REQUIREMENTS_ARTIFACT), curve_width=width,
    )
    emit(doc, as_json, render.render_run_detail)


# artifacts -----------------------------------------------------------------------------------
@artifacts_app.command("list")
def list_artifacts(ctx: typer.Context, run: RunArgument, path: ArtifactPathArgument = "",
                   experiment: ExperimentOption = None, as_json: JsonOption = False) -> None:
    """List the files and folders directly under PATH in a run's artifacts.

    \b
    Example:
      cairn artifacts list 3f2a9c1b environment
    """
    client = _client(ctx)
    found = lookup.resolve_run(client, run, experiment)
    files = client.list_artifacts(found.run_id, path)
    emit(views.artifacts_view(found.run_id, path, files), as_json, render.render_artifacts)


@artifacts_app.command("download")
def download_artifacts(
    ctx: typer.Context,
    run: RunArgument,
    path: ArtifactPathArgument = "",
    dest: Annotated[Path | None, typer.Option(
        "--dest", "-d", metavar="DIR", file_okay=False,
        help="Folder to download into, created if needed (default: a new temporary folder).")] = None,
    experiment: ExperimentOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a run's artifact file or folder and print where it was written.

    \b
    Example:
      cairn artifacts download 3f2a9c1b environment/requirements.txt --dest ./out
    """
    client = _client(ctx)
    found = lookup.resolve_run(client, run, experiment)
    what = f"'{path}'" if path else "all artifacts"
    _note(f"Downloading {what} from run {found.run_id}...")
    local = client.download_artifacts(found.run_id, path, dst_path=dest)
    emit({"run_id": found.run_id, "path": path, "local_path": str(local)}, as_json, render.render_download)


# server --------------------------------------------------------------------------------------
@app.command("server")
def server(
    host: Annotated[str, typer.Option(
        help="Interface to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 5000,
    backend_store_uri: Annotated[str | None, typer.Option(
        metavar="URI", help="Metadata store: a folder, sqlite:///file.db or postgresql+psycopg://... "
                            "(default: the server's own, ./.cairn).")] = None,
    artifacts_destination: Annotated[str | None, typer.Option(
        metavar="DIR_OR_URI", help="Where artifacts are stored: a folder or s3://bucket/prefix.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    allow_private_webhook_targets: Annotated[bool, typer.Option(
        "--allow-private-webhook-targets", show_default=False,
        help="Let API clients add webhooks to private, loopback and link-local addresses (refused by default; "
             "env CAIRN_SERVER_ALLOW_PRIVATE_WEBHOOKS).")] = False,
) -> None:
    """Start the tracking server (MLflow REST API, Cairn API and web UI).

    \b
    Example:
      cairn server --host 0.0.0.0 --port 5000 --workers 4
    """
    try:
        from cairn.server.run import serve
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("cairn"):
            raise CairnError("This installation of Cairn has no server (cairn.server.run is missing).") from None
        raise CairnError(f"The server needs the Python package '{exc.name}'; install it and retry.") from None
    serve(host=host, port=port, backend_store_uri=backend_store_uri,
          artifacts_destination=artifacts_destination, workers=workers,
          allow_private_webhook_targets=allow_private_webhook_targets or None)


# entry point ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cairn`` command and return its exit code (the console script's entry point)."""
    # Without a handler, Python's last-resort handler would print the store's log records (SQL,
    # driver errors) under the one-line error; they are shown with --verbose instead.
    logger = logging.getLogger("cairn")
    if _QUIET not in logger.handlers:
        logger.addHandler(_QUIET)
    try:
        result = typer.main.get_command(app).main(args=argv, prog_name="cairn", standalone_mode=False)
        sys.stdout.flush()
    except CairnError as exc:
        sys.stderr.write("Error: " + " ".join(exc.message.splitlines()) + "\n")
        return 1
    except typer.TyperException as exc:  # usage errors: Click's message and exit code 2
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            sys.stderr.write(f"Error: {exc.format_message()}\n")
        return exc.exit_code
    except (KeyboardInterrupt, _Interrupted, typer.Abort):
        sys.stderr.write("Interrupted.\n")
        return 130
    except (BrokenPipeError, _PipeClosed):
        # The reader went away (`cairn runs list | head`): stop writing, say nothing. Pointing
        # stdout at devnull keeps the interpreter's final flush from reporting the broken pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
