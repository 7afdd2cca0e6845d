"""``cairn deployments`` and ``cairn predictions``: how a model's traffic is split (canary, shadow,
A/B), how the arms did, and what each served prediction was made from.

Thin like the rest of the CLI: each command parses, calls ``Client`` (``set_deployment``,
``resolve_deployment``, ``compare_deployment``, ``get_prediction``, ``search_predictions``,
``log_outcome``) and hands one document to ``emit`` (compact JSON with ``--json``, drawn by
``cli_deployments_render`` otherwise). Changes are recorded under ``--user``, else ``CAIRN_USER``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cairn import cli_deployments_render as render
from cairn.cli_lookup import time_ms
from cairn.cli_models import JsonOption, NameArgument, ReasonOption, UserOption
from cairn.cli_output import client, emit
from cairn.errors import CairnError, InvalidParameter

if TYPE_CHECKING:
    from cairn.client.client import Client
    from cairn.registry.deployments import DeploymentConfig, DeploymentPlan

_SETTINGS = {"help_option_names": ["-h", "--help"]}
deployments_app = typer.Typer(
    no_args_is_help=True, context_settings=_SETTINGS,
    help="Deployments: which versions answer a model's traffic — primary, canary, shadow, A/B — and how "
         "each arm did.\n\n\b\nExample:\n  cairn deployments set churn --canary 3 --percent 10 --reason \"try v3\"",
)
predictions_app = typer.Typer(
    no_args_is_help=True, context_settings=_SETTINGS,
    help="The prediction log: every served prediction with its version, arm, features and output, and the "
         "outcomes joined back.\n\n\b\nExample:\n  cairn predictions list churn --since 1h --arm canary",
)

MAX_LISTED = 10_000
SinceOption = Annotated[str | None, typer.Option(
    "--since", metavar="TIME", help="From TIME: ISO 8601 (2024-05-01T14:30), epoch ms, or ago (30m, 2h, 7d).")]
UntilOption = Annotated[str | None, typer.Option(
    "--until", metavar="TIME", help="Before TIME: ISO 8601, epoch ms, or ago (30m, 2h, 7d).")]
PredictionArgument = Annotated[str, typer.Argument(
    metavar="ID", help="Prediction id, as the serving response gave it.", show_default=False)]


def parse_time(text: str, label: str) -> int:
    """``--since``/``--until``: epoch ms, an age (``30m``, ``2h``, ``7d``) or ISO 8601."""
    moment = time_ms(text)
    if moment is None:
        raise InvalidParameter(f"{label} {text!r} is not a time; use ISO 8601 like 2024-05-01T14:30, epoch ms, "
                               "or an age like 30m, 2h or 7d.")
    return moment


def _window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    start = parse_time(since, "--since") if since is not None else None
    end = parse_time(until, "--until") if until is not None else None
    if start is not None and end is not None and start >= end:
        raise InvalidParameter("--since must be earlier than --until.")
    return start, end


# deployments ---------------------------------------------------------------------------------
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
    doc = deployment_doc(c, config)
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
    emit(deployment_doc(c, c.get_deployment(name)), as_json, render.render_deployment)


@deployments_app.command("compare")
def compare(ctx: typer.Context, name: NameArgument, since: SinceOption = None, until: UntilOption = None,
            as_json: JsonOption = False) -> None:
    """Compare the arms of NAME's deployment: traffic, errors, latency, outputs, outcomes, agreement.

    Read from the prediction log; agreement is how often a shadow answered a row as the arm it
    mirrored did.

    \b
    Example:
      cairn deployments compare churn --since 24h
    """
    start, end = _window(since, until)
    comparison = client(ctx).compare_deployment(name, since=start, until=end)
    doc = comparison.to_dict()
    doc["notes"] = render.comparison_notes(doc)
    emit(doc, as_json, render.render_comparison)


def deployment_doc(c: Client, config: DeploymentConfig) -> dict[str, Any]:
    """The configuration, the plan resolved from it now (or why it cannot be), and one row per arm."""
    plan: DeploymentPlan | None = None
    plan_error: str | None = None
    try:
        plan = c.resolve_deployment(config.model_name)
    except CairnError as exc:
        plan_error = exc.message
    return {"model_name": config.model_name, "summary": config.summary(), "deployment": config.to_dict(),
            "plan": plan.to_dict() if plan is not None else None, "plan_error": plan_error,
            "arms": _arms(config, plan)}


def _arms(config: DeploymentConfig, plan: DeploymentPlan | None) -> list[dict[str, Any]]:
    """Arms by the names the prediction log uses (an A/B test's arms are ``a`` and ``b``)."""
    if plan is not None:
        canary, canary_pct = plan.canary_version, plan.canary_share * 100
        challenger, ab_pct, ab_key = plan.ab_version, plan.ab_share * 100, plan.ab_key
        shadow, primary, ref = plan.shadow_version, plan.primary_version, plan.primary_ref
    else:
        canary, canary_pct = config.canary_version, config.canary_percent or 0.0
        challenger, ab_pct, ab_key = config.ab_version, config.ab_split or 0.0, config.ab_key
        shadow, primary = config.shadow_version, None
        ref = f"@{config.primary_alias}" if config.primary_alias else "Production"
    split = canary_pct if canary is not None else ab_pct if challenger is not None else 0.0
    arms = [{"arm": "a" if challenger is not None else "primary", "version": primary, "ref": ref,
             "traffic_percent": 100.0 - split, "copy": False, "key": ab_key if challenger is not None else None}]
    if canary is not None:
        arms.append({"arm": "canary", "version": canary, "ref": None, "traffic_percent": canary_pct,
                     "copy": False, "key": None})
    if challenger is not None:
        arms.append({"arm": "b", "version": challenger, "ref": None, "traffic_percent": ab_pct, "copy": False,
                     "key": ab_key})
    if shadow is not None:
        arms.append({"arm": "shadow", "version": shadow, "ref": None, "traffic_percent": 100.0, "copy": True,
                     "key": None})
    return arms


# predictions ---------------------------------------------------------------------------------
@predictions_app.command("show")
def show_prediction(ctx: typer.Context, prediction_id: PredictionArgument, as_json: JsonOption = False) -> None:
    """Show one served prediction: version, arm, source run, time, latency, features, output, outcome.

    \b
    Example:
      cairn predictions show 01HZX3K9Q4V2M8N6T5R7W1Y0AB
    """
    emit({"prediction": client(ctx).get_prediction(prediction_id).to_dict()}, as_json, render.render_prediction)


@predictions_app.command("list")
def list_predictions(
    ctx: typer.Context,
    name: NameArgument,
    since: SinceOption = None,
    until: UntilOption = None,
    version: Annotated[int | None, typer.Option("--version", "-v", metavar="N", help="Only this version's.")] = None,
    arm: Annotated[str | None, typer.Option(
        "--arm", metavar="ARM", help="Only this arm's: primary, canary, shadow, a or b.")] = None,
    filter_string: Annotated[str | None, typer.Option(
        "--filter", "-f", metavar="EXPR",
        help="Conditions joined by 'and' on features.<column>, output, outcome, latency_ms, error: "
             "\"features.age > 40 and output = 1\".")] = None,
    max_results: Annotated[int, typer.Option(
        "--max-results", "-n", min=1, max=MAX_LISTED, help="Show at most N predictions.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List NAME's served predictions, newest first.

    \b
    Example:
      cairn predictions list churn --since 2h --arm canary --filter "features.age > 40 and output = 1"
    """
    start, end = _window(since, until)
    c = client(ctx)
    c.get_registered_model(name)
    found = c.search_predictions(name, since=start, until=end, version=version, arm=arm, filter_string=filter_string,
                                 max_results=min(max_results + 1, MAX_LISTED))
    emit({"model_name": name, "predictions": [p.to_dict() for p in found[:max_results]],
          "has_more": len(found) > max_results}, as_json, render.render_predictions)


@predictions_app.command("outcome")
def log_outcome(
    ctx: typer.Context,
    prediction_id: PredictionArgument,
    value: Annotated[float, typer.Argument(
        metavar="VALUE", help="What really happened: a label, a conversion, a revenue (put -- before a negative "
                              "number).", show_default=False)],
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Join what really happened back to a served prediction; a second outcome replaces the first.

    \b
    Example:
      cairn predictions outcome 01HZX3K9Q4V2M8N6T5R7W1Y0AB 1
    """
    client(ctx).log_outcome(prediction_id, value, user=user)
    emit({"prediction_id": prediction_id, "outcome": value}, as_json,
         lambda doc, console: console.print(
             f"Logged outcome {doc['outcome']:g} for prediction {doc['prediction_id']}."))


def register(app: typer.Typer) -> None:
    """Add ``deployments`` and ``predictions`` to the ``cairn`` command."""
    app.add_typer(deployments_app, name="deployments")
    app.add_typer(predictions_app, name="predictions")
