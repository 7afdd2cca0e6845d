"""``cairn experiments retention set|show|clear|log`` and ``cairn gc``: which runs keep their
artifacts, collecting the rest, and the trail of what went.

Thin like the rest of the CLI: each command calls ``Client`` (embedded or a server), builds a
document with ``views.retention`` and hands it to ``emit``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import CONTEXT_SETTINGS, JsonOption, UserOption
from cairn.cli.output import client, emit
from cairn.cli.render.retention import render_events, render_gc, render_policy
from cairn.cli.views.retention import events_view, gc_view, policy_view
from cairn.entities import ViewType
from cairn.tracking.retention_trail import MAX_EVENTS

ExperimentArgument = Annotated[str, typer.Argument(
    metavar="EXPERIMENT", help="Experiment name or id.", show_default=False)]

retention_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Which runs of an experiment keep their artifacts; `cairn gc` collects the others'.\n\n"
         "\b\nExample:\n  cairn experiments retention set churn --keep-last 5 --keep-days 30",
)


def _experiment(ctx: typer.Context, ref: str) -> tuple[str, str]:
    ((experiment_id, name),) = lookup.experiments_for(client(ctx), ref, ViewType.ALL).items()
    return experiment_id, name


@retention_app.command("set")
def set_policy(
    ctx: typer.Context,
    experiment: ExperimentArgument,
    keep_last: Annotated[int | None, typer.Option(
        "--keep-last", metavar="N", help="Keep the artifacts of the N latest runs (by start time).")] = None,
    keep_days: Annotated[int | None, typer.Option(
        "--keep-days", metavar="D", help="Keep the artifacts of runs started less than D days ago.")] = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Set the experiment's retention policy (a run kept by either rule keeps its artifacts).

    Runs still running, and runs production may need (the source of a Staging or Production
    version, or of one within its rollback window, and the data such a version trained on), are
    always kept. `cairn gc --dry-run` shows what the policy would delete.

    \b
    Example:
      cairn experiments retention set churn --keep-last 2 --keep-days 30
    """
    experiment_id, name = _experiment(ctx, experiment)
    policy = client(ctx).set_retention_policy(experiment_id, keep_last, keep_days, user=user)
    emit(policy_view(experiment_id, name, policy), as_json, render_policy)


@retention_app.command("show")
def show_policy(ctx: typer.Context, experiment: ExperimentArgument, as_json: JsonOption = False) -> None:
    """Show the experiment's retention policy.

    \b
    Example:
      cairn experiments retention show churn
    """
    experiment_id, name = _experiment(ctx, experiment)
    emit(policy_view(experiment_id, name, client(ctx).get_retention_policy(experiment_id)), as_json, render_policy)


@retention_app.command("clear")
def clear_policy(ctx: typer.Context, experiment: ExperimentArgument, user: UserOption = None,
                 as_json: JsonOption = False) -> None:
    """Remove the experiment's retention policy: its runs keep every artifact again.

    \b
    Example:
      cairn experiments retention clear churn
    """
    experiment_id, name = _experiment(ctx, experiment)
    client(ctx).clear_retention_policy(experiment_id, user=user)
    emit(policy_view(experiment_id, name, None), as_json, render_policy)


@retention_app.command("log")
def log(
    ctx: typer.Context,
    experiment: Annotated[str | None, typer.Argument(
        metavar="[EXPERIMENT]", help="Only this experiment (name or id).", show_default=False)] = None,
    run: Annotated[str | None, typer.Option("--run", metavar="RUN_ID", help="Only this run.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=MAX_EVENTS, help="At most this many events.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """The retention trail, newest first: what was deleted or purged, when, by which policy and
    on whose command, and every policy change.

    \b
    Example:
      cairn experiments retention log churn
    """
    experiment_id = _experiment(ctx, experiment)[0] if experiment is not None else None
    emit(events_view(client(ctx).list_retention_events(experiment_id, run, limit)), as_json, render_events)


def gc(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be deleted.")] = False,
    grace_days: Annotated[int | None, typer.Option(
        "--grace-days", metavar="DAYS", min=0,
        help="Purge runs deleted at least DAYS ago (default 30).")] = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Collect garbage: apply every retention rule, then free the storage nothing uses.

    Archived versions past their rollback window lose their files (as `cairn models gc`); runs an
    experiment's retention policy does not keep lose theirs, unless production may need them;
    runs deleted longer ago than the grace period are purged, metadata and files. Content shared
    with anything kept stays. Every deletion is in the trail (`cairn experiments retention log`).

    \b
    Example:
      cairn gc --dry-run
    """
    report = client(ctx).collect_garbage(dry_run=dry_run, grace_days=grace_days, user=user)
    emit(gc_view(report), as_json, render_gc)


def register(app: typer.Typer) -> None:
    """Add ``gc`` to the ``cairn`` command (``experiments retention`` joins ``experiments``)."""
    app.command("gc")(gc)
