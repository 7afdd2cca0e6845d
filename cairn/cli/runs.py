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
from cairn.cli.render import media as media_render
from cairn.cli.render import runs as render
from cairn.cli.views import media as media_views
from cairn.cli.views import runs as views
from cairn.entities import ViewType
from cairn.tracking.runs import PARENT_RUN_TAG

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
    parent: Annotated[str | None, typer.Option(
        "--parent", "-p", metavar="RUN",
        help="Only the child runs of this run (e.g. a sweep's trials): its id, id prefix or name.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List runs with their params and latest metrics, newest first.

    \b
    Example:
      cairn runs list -e churn -f "metrics.acc > 0.9" -o "metrics.acc DESC"
      cairn runs list --parent 3f2a9c1b -o "metrics.value ASC"
    """
    c = client(ctx)
    experiments = lookup.experiments_for(c, experiment, ViewType.ACTIVE_ONLY)
    if parent is not None:
        parent_run = lookup.resolve_run(c, parent, experiment)
        experiment_id = parent_run.info.experiment_id
        experiments = {experiment_id: experiments.get(experiment_id) or c.get_experiment(experiment_id).name}
        children = f"tags.{PARENT_RUN_TAG} = '{parent_run.run_id}'"
        filter_string = f"{children} AND ({filter_string})" if filter_string.strip() else children
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


@runs_app.command("media")
def run_media(ctx: typer.Context, run: RunArgument, experiment: ExperimentOption = None,
              key: Annotated[str | None, typer.Option("--key", "-k", help="Only this key's media.")] = None,
              as_json: JsonOption = False) -> None:
    """List a run's images, figures, tables and texts per key and step (logged by Cairn or by an
    MLflow client); download one with `cairn artifacts download`.

    \b
    Example:
      cairn runs media 3f2a9c1b --key val_samples
    """
    c = client(ctx)
    found = lookup.resolve_run(c, run, experiment)
    doc = media_views.media_view(found.run_id, c.list_media(found.run_id, key), key)
    emit(doc, as_json, media_render.render_media)


runs_app.command("branch")(reproduce_cli.branch)


def register(app: typer.Typer) -> None:
    """Add ``runs`` to the ``cairn`` command."""
    app.add_typer(runs_app, name="runs")
