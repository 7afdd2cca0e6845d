"""``cairn deployments``: how a model's traffic is split (canary, shadow, A/B) and how the arms did.

Thin like the rest of the CLI: each command parses, calls ``Client`` (``set_deployment``,
``resolve_deployment``, ``compare_deployment``) and hands one document from ``views.deployments``
to ``emit`` (compact JSON with ``--json``, drawn by ``render.deployments`` otherwise). Changes are
recorded under ``--user``, else ``CAIRN_USER``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.options import (
    CONTEXT_SETTINGS,
    JsonOption,
    NameArgument,
    ReasonOption,
    SinceOption,
    UntilOption,
    UserOption,
    time_window,
)
from cairn.cli.output import client, emit
from cairn.cli.render import deployments as render
from cairn.cli.views import deployments as views
from cairn.errors import InvalidParameter

deployments_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Deployments: which versions answer a model's traffic — primary, canary, shadow, A/B — and how "
         "each arm did.\n\n\b\nExample:\n  cairn deployments set churn --canary 3 --percent 10 --reason \"try v3\"",
)


@deployments_app.command("set")
def set_deployment(
    ctx: typer.Context,
    name: NameArgument,
    canary: Annotated[int | None, typer.Option(
        "--canary", metavar="VERSION", help="Send a share of requests (--percent) to this version.")] = None,
    percent: Annotated[float | None, typer.Option(
        "--percent", metavar="PCT", help="The canary's share of requests, above 0 and below 100.")] = None,
    shadow: Annotated[int | None, typer.Option(
        "--shadow", metavar="VERSION", help="Send a copy of every request to this version; its answers are "
                                            "logged, never returned.")] = None,
    ab: Annotated[int | None, typer.Option(
        "--ab", metavar="VERSION", help="A/B test this version against the primary, split by --key.")] = None,
    split: Annotated[float | None, typer.Option(
        "--split", metavar="PCT", help="The A/B challenger's share of keys (default 50).")] = None,
    key: Annotated[str | None, typer.Option(
        "--key", metavar="COLUMN", help="Request column (or X-Cairn-Request-Key) an A/B test splits on, "
                                        "so a user always meets the same arm.")] = None,
    primary_alias: Annotated[str | None, typer.Option(
        "--primary-alias", metavar="ALIAS", help="Serve the version this alias points at as primary "
                                                 "(default: the Production version).")] = None,
    remove: Annotated[list[str] | None, typer.Option(
        "--remove", metavar="PART", help="Drop canary, shadow, ab or primary_alias; repeat for more.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Drop everything first: the primary answers all.")] = False,
    reason: ReasonOption = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change how NAME's traffic is served: canary, shadow, A/B test or primary alias (audited).

    Canary and A/B both split the primary's traffic, so a deployment has one or the other.

    \b
    Example:
      cairn deployments set churn --canary 3 --percent 10 --shadow 4 --reason "try v3, mirror v4"
      cairn deployments set churn --remove canary --ab 3 --split 50 --key user_id
    """
    if not (clear or remove) and all(v is None for v in (canary, percent, shadow, ab, split, key, primary_alias)):
        raise InvalidParameter(f"Nothing to change: give --canary, --shadow, --ab, --primary-alias, --remove or "
                               f"--clear (see the current setup with `cairn deployments show {name}`).")
    c = client(ctx)
    config = c.set_deployment(name, canary_version=canary, canary_percent=percent, shadow_version=shadow,
                              ab_version=ab, ab_split=split, ab_key=key, primary_alias=primary_alias,
                              remove=remove or (), clear=clear, reason=reason, user=user)
    doc = views.deployment_doc(c, config)
    doc["applied"] = True
    emit(doc, as_json, render.render_deployment)


@deployments_app.command("show")
def show_deployment(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Show NAME's traffic configuration, who set it and when, and the version each arm serves now.

    \b
    Example:
      cairn deployments show churn --json
    """
    c = client(ctx)
    emit(views.deployment_doc(c, c.get_deployment(name)), as_json, render.render_deployment)


@deployments_app.command("compare")
def compare(ctx: typer.Context, name: NameArgument, since: SinceOption = None, until: UntilOption = None,
            as_json: JsonOption = False) -> None:
    """Compare the arms of NAME's deployment: traffic, errors, latency, outputs, outcomes, agreement.

    Read from the prediction log; agreement is how often a shadow answered a row as the arm it
    mirrored did. For each version on trial (shadow, canary, A/B) it prints the numbers behind
    the policy's evidence gates and whether each would pass now.

    \b
    Example:
      cairn deployments compare churn --since 24h
    """
    start, end = time_window(since, until)
    comparison = client(ctx).compare_deployment(name, since=start, until=end)
    doc = comparison.to_dict()
    doc["notes"] = views.comparison_notes(doc)
    emit(doc, as_json, render.render_comparison)


def register(app: typer.Typer) -> None:
    """Add ``deployments`` to the ``cairn`` command."""
    app.add_typer(deployments_app, name="deployments")
