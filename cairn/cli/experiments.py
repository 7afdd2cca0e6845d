"""``cairn experiments``: list the named groups that runs belong to.

Thin like the rest of the CLI: the command reads experiments through ``Client`` and hands a
document from ``views.experiments`` to ``emit`` (compact JSON with ``--json``, drawn by
``render.experiments`` otherwise).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import CONTEXT_SETTINGS, JsonOption
from cairn.cli.output import client, emit
from cairn.cli.render.experiments import render_experiments
from cairn.cli.retention import retention_app
from cairn.cli.views.experiments import experiments_view
from cairn.entities import ViewType

experiments_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Experiments: named groups of runs.\n\n\b\nExample:\n  cairn experiments list --all",
)


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
    experiments = lookup.all_experiments(client(ctx), view)
    emit(experiments_view(experiments), as_json, render_experiments)


def register(app: typer.Typer) -> None:
    """Add ``experiments`` (with its ``retention`` group) to the ``cairn`` command."""
    experiments_app.add_typer(retention_app, name="retention")
    app.add_typer(experiments_app, name="experiments")
