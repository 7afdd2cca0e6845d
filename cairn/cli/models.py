"""``cairn models``: the registry from a terminal — versions, stages, gates and sign-off, aliases,
rollback, the audit trail and the production timeline.

Thin like the rest of the CLI: each command parses, calls one ``Client`` method, and hands a
document from ``views.models`` to ``emit`` (compact JSON with ``--json``, Rich otherwise).
Writes are recorded under ``--user``, else ``CAIRN_USER``, else the OS user (unverified), except
on a server with ``--auth``, which records the signed-in user (``MLFLOW_TRACKING_USERNAME``/
``PASSWORD`` or an API token in ``MLFLOW_TRACKING_TOKEN``/``CAIRN_TRACKING_TOKEN``).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from cairn.cli.lookup import time_ms
from cairn.cli.options import (
    CONTEXT_SETTINGS,
    JsonOption,
    NameArgument,
    ReasonOption,
    UserOption,
    VersionArgument,
)
from cairn.cli.output import client, emit
from cairn.cli.render import models as render
from cairn.cli.views import models as views
from cairn.tracking import clock

models_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Model registry: versions, stages, gates and sign-off, aliases, rollback, audit trail, timeline.\n\n"
         "\b\nExample:\n  cairn models promote churn 3 --to Production --reason \"beats v2 on AUC\"",
)


def parse_time(text: str) -> int:
    """``--at``: milliseconds since the epoch, an age (``2h``) or an ISO 8601 time."""
    moment = time_ms(text)
    if moment is None:
        raise typer.BadParameter(f"'{text}' is not a time; use ISO 8601 like 2024-05-01T14:30 or epoch ms.")
    return moment


# lists ---------------------------------------------------------------------------------------
@models_app.command("list")
def list_models(
    ctx: typer.Context,
    name_like: Annotated[str | None, typer.Option("--filter", "-f", metavar="PATTERN",
                                                  help="Name pattern, % matching anything: 'churn%'.")] = None,
    max_results: Annotated[int, typer.Option("--max", "-n", min=1, max=1000, help="Show at most N models.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List registered models with their latest, Production and Staging versions and aliases.

    \b
    Example:
      cairn models list --filter 'churn%'
    """
    page = client(ctx).search_registered_models(name_like, max_results)
    emit(views.models_view(page.items, page.next_page_token is not None), as_json, render.render_models)


@models_app.command("versions")
def list_versions(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """List a model's versions: stage, aliases, source run, who registered them.

    \b
    Example:
      cairn models versions churn --json
    """
    c = client(ctx)
    c.get_registered_model(name)
    found = c.search_model_versions(name=name, max_results=10_000).items
    emit(views.versions_view(name, found), as_json, render.render_versions)


@models_app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="NAME[@ALIAS|/VERSION|/STAGE]", show_default=False,
                                       help="A version: churn@champion, churn/3, churn/Production, or churn "
                                            "(its Production version, else the newest).")],
    events: Annotated[int, typer.Option("--events", min=0, max=200, help="How many audit events to show.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Show one version: stage, aliases, when trained and shipped (by whom), and what went into it.

    \b
    Example:
      cairn models show churn@champion
    """
    emit(views.model_show_doc(client(ctx), ref, events), as_json, render.render_model_show)


@models_app.command("requests")
def list_requests(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(metavar="NAME", help="Only this model's requests.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include approved, rejected and cancelled ones.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List transition requests waiting for sign-off.

    \b
    Example:
      cairn models requests churn
    """
    found = client(ctx).list_transition_requests(name, None if all_ else "PENDING")
    emit(views.requests_view(found), as_json, render.render_requests)


# changes -------------------------------------------------------------------------------------
@models_app.command("register")
def register_version(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", show_default=False,
                                          help="runs:/<run_id>/<path> or mlflow-artifacts:/<path>.")],
    name: NameArgument,
    description: Annotated[str | None, typer.Option("--description", "-d", help="What this version is.")] = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a model logged to a run as the next version of NAME (creating NAME if needed).

    \b
    Example:
      cairn models register runs:/3f2a9c1b0d4e4f5a8b7c6d5e4f3a2b1c/model churn
    """
    version = client(ctx).register_model(source, name, description=description, user=user)
    emit(views.version_view(version), as_json, render.render_version)


@models_app.command("promote")
def promote(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    to: Annotated[str, typer.Option("--to", "-t", metavar="STAGE", show_default=False,
                                    help="Staging, Production, Archived or None.")],
    reason: ReasonOption = None,
    archive_existing: Annotated[bool, typer.Option(
        "--archive-existing", help="Promoting to Staging: archive the other Staging versions (as MLflow).")] = False,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move a version to a stage, through the model's gates (Production archives the previous one).

    \b
    Example:
      cairn models promote churn 3 --to Production --reason "beats v2 on AUC"
    """
    outcome = client(ctx).promote(name, version, to, reason=reason, archive_existing_versions=archive_existing,
                                  user=user)
    emit(views.outcome_view(outcome, "promote"), as_json, render.render_outcome)


@models_app.command("approve")
def approve(
    ctx: typer.Context,
    name: NameArgument, version: VersionArgument,
    comment: Annotated[str | None, typer.Option("--comment", "-c", help="Note for the audit trail.")] = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Sign off the pending transition of a version (someone other than its requester) and apply it.

    \b
    Example:
      cairn models approve churn 3 --user bob --comment "checked the eval report"
    """
    outcome = client(ctx).approve_transition(name, version, comment=comment, user=user)
    emit(views.outcome_view(outcome, "approve"), as_json, render.render_outcome)


@models_app.command("reject")
def reject(
    ctx: typer.Context,
    name: NameArgument, version: VersionArgument,
    comment: Annotated[str | None, typer.Option("--comment", "-c", help="Why, for the audit trail.")] = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Reject (or, as its requester, withdraw) the pending transition of a version.

    \b
    Example:
      cairn models reject churn 3 --comment "latency too high"
    """
    request = client(ctx).reject_transition(name, version, comment=comment, user=user)
    emit(views.requests_view([request]), as_json, render.render_requests)


@models_app.command("alias")
def alias(
    ctx: typer.Context,
    name: NameArgument,
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="Alias name, e.g. champion.", show_default=False)],
    version: Annotated[int | None, typer.Argument(metavar="VERSION", help="Version to point the alias at.")] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Remove the alias instead.")] = False,
    reason: ReasonOption = None, user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Point an alias (@champion) at a version, moving it atomically; or remove it with --delete.

    \b
    Example:
      cairn models alias churn champion 3
    """
    c = client(ctx)
    if delete == (version is not None):
        raise typer.BadParameter("Give a VERSION to point the alias at, or --delete (not both).")
    if delete:
        c.delete_registered_model_alias(name, alias_name, reason=reason, user=user)
        emit({"name": name, "alias": alias_name, "deleted": True}, as_json,
             lambda doc, console: console.print(f"Removed @{doc['alias']} from '{doc['name']}'."))
        return
    assert version is not None
    found = c.set_registered_model_alias(name, alias_name, version, reason=reason, user=user)
    emit(views.version_view(found), as_json, render.render_version)


@models_app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: NameArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why, for the audit trail (required).",
                                        show_default=False)],
    to: Annotated[int | None, typer.Option("--to", metavar="VERSION",
                                           help="An earlier Production version (default: the previous one).")] = None,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Put back the previous Production version (or --to VERSION); the current one is archived.

    \b
    Example:
      cairn models rollback churn --reason "p99 latency doubled"
    """
    outcome = client(ctx).rollback_model(name, reason=reason, version=to, user=user)
    emit(views.outcome_view(outcome, "rollback"), as_json, render.render_outcome)


@models_app.command("gc")
def gc(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be deleted.")] = False,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Delete the files of Archived versions whose retention has ended (policy --retention-days).

    Each deletion is audited; such a version can no longer be promoted, rolled back to or loaded.

    \b
    Example:
      cairn models gc --dry-run
    """
    found = client(ctx).collect_expired_artifacts(dry_run=dry_run, user=user)
    emit({"dry_run": dry_run, "versions": [dataclasses.asdict(c) for c in found]}, as_json, render.render_collected)


# history -------------------------------------------------------------------------------------
@models_app.command("timeline")
def timeline(
    ctx: typer.Context,
    name: NameArgument,
    at: Annotated[str | None, typer.Option(
        "--at", metavar="TIME", help="Also answer: what was in Production at TIME (ISO 8601 or epoch ms)?")] = None,
    as_json: JsonOption = False,
) -> None:
    """Who served when: each version's time in Production and each alias's targets, with a Gantt.

    \b
    Example:
      cairn models timeline churn --at 2024-05-01T14:30
    """
    moment = parse_time(at) if at is not None else None
    intervals = client(ctx).timeline(name)
    emit(views.timeline_view(name, intervals, clock.now_ms(), moment), as_json, render.render_timeline)


@models_app.command("audit")
def audit(
    ctx: typer.Context,
    name: NameArgument,
    version: Annotated[int | None, typer.Option("--version", "-v", help="Only this version's events.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Only the last N events.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The model's audit trail: every transition, alias move, sign-off, deletion and policy change.

    \b
    Example:
      cairn models audit churn --limit 20
    """
    events = client(ctx).audit(name, version, max_results=limit, newest_first=limit is not None)
    if limit is not None:
        events.reverse()
    emit(views.audit_view(name, events), as_json, render.render_audit)


def register(app: typer.Typer) -> None:
    """Add ``models`` to the ``cairn`` command."""
    from cairn.cli import evidence, model_policy, model_report

    models_app.command("policy")(model_policy.policy)
    models_app.command("requirements")(evidence.requirements)
    models_app.command("benchmark")(evidence.benchmark)
    models_app.command("stability")(evidence.stability)
    models_app.command("breach")(evidence.breach)
    models_app.command("report")(model_report.report)
    app.add_typer(models_app, name="models")
