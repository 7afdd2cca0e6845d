"""``cairn runs``: search runs, or show everything one run recorded.

Thin like the rest of the CLI: each command reads runs, metric histories and artifacts through
``Client`` (found by ``lookup``), builds one document from ``views.runs`` and hands it to
``emit`` (compact JSON with ``--json``, drawn by ``render.runs`` otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cairn.cli import lookup
from cairn.cli import reproduce as reproduce_cli
from cairn.cli.options import CONTEXT_SETTINGS, ExperimentOption, JsonOption, RunArgument
from cairn.cli.output import client, emit
from cairn.cli.render import runs as render
from cairn.cli.views import runs as views
from cairn.entities import ViewType

if TYPE_CHECKING:
    from rich.console import Console

JSON_CURVE_POINTS = 100

runs_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Runs: search them, or show everything one run recorded.\n\n"
         "\b\nExample:\n  cairn runs show 3f2a9c --experiment churn",
)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


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
    c = client(ctx)
    experiments = lookup.experiments_for(c, experiment, ViewType.ACTIVE_ONLY)
    runs = lookup.search_runs(c, list(experiments), filter_string, order_by, max_results + 1,
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
    c = client(ctx)
    found = lookup.resolve_run(c, run, experiment)
    run_id = found.run_id
    metric_keys = sorted(found.data.metrics)
    histories = {key: c.get_metric_history(run_id, key) for key in metric_keys}
    files = lookup.walk_artifacts(c, run_id)
    texts = {
        path: lookup.read_artifact_text(c, run_id, path)
        for path in (views.DIFF_ARTIFACT, views.REQUIREMENTS_ARTIFACT)
        if any(f.path == path for f in files)
    }
    width = JSON_CURVE_POINTS if as_json else render.chart_width(_console().width, metric_keys)
    doc = views.run_detail(
        found, c.get_experiment(found.info.experiment_id), histories, files,
        texts.get(views.DIFF_ARTIFACT), texts.get(views.REQUIREMENTS_ARTIFACT), curve_width=width,
    )
    emit(doc, as_json, render.render_run_detail)


runs_app.command("branch")(reproduce_cli.branch)


def register(app: typer.Typer) -> None:
    """Add ``runs`` to the ``cairn`` command."""
    app.add_typer(runs_app, name="runs")
