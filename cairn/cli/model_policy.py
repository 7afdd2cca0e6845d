"""``cairn models policy``: a model's promotion policy — stage rules, metric and model gates,
sign-off, and the evidence gates (benchmark latency, shadow, canary, outcomes, slices)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from cairn.cli.options import JsonOption, ReasonOption, UserOption
from cairn.cli.output import client, emit
from cairn.cli.render import models as render
from cairn.cli.views import models as views
from cairn.entities import Policy
from cairn.registry.policies import MAX_RETENTION_DAYS


def policy(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(metavar="NAME", help="Model whose policy to show or change.")] = None,
    default: Annotated[bool, typer.Option("--default", help="The server-wide default policy instead.")] = False,
    require_metric: Annotated[list[str] | None, typer.Option(
        "--require-metric", "-m", metavar="'KEY OP VALUE'",
        help="Gate on the source run's latest metric, e.g. 'auc >= 0.8'; repeat for more (replaces the list).")] = None,
    no_metrics: Annotated[bool, typer.Option("--no-metrics", help="Drop every metric gate.")] = False,
    signature: Annotated[bool | None, typer.Option(
        "--require-signature/--no-require-signature", help="The model's MLmodel must have a signature.")] = None,
    input_example: Annotated[bool | None, typer.Option(
        "--require-input-example/--no-require-input-example", help="The model must carry an input example.")] = None,
    staging_first: Annotated[bool | None, typer.Option(
        "--require-staging/--no-require-staging",
        help="Production only for versions that have been in Staging.")] = None,
    direct: Annotated[bool | None, typer.Option(
        "--allow-direct-production/--forbid-direct-production", help="Whether None → Production is allowed.")] = None,
    signoff: Annotated[bool | None, typer.Option(
        "--require-signoff/--no-require-signoff", help="Production needs approval by another user.")] = None,
    signoff_not_creator: Annotated[bool | None, typer.Option(
        "--signoff-excludes-creator/--signoff-allows-creator",
        help="With sign-off: the approver may not be the version's creator either.")] = None,
    min_staging: Annotated[str | None, typer.Option(
        "--min-staging", metavar="DURATION",
        help="Minimum time in Staging before Production: 30m, 2h, 1d; 0 for none.")] = None,
    gate_stages: Annotated[list[str] | None, typer.Option(
        "--gate-stage", metavar="STAGE",
        help="Stage whose entry runs the metric/model gates (default Production); repeat.")] = None,
    archive_after: Annotated[str | None, typer.Option(
        "--archive-previous-after", metavar="DURATION",
        help="Stability window: after a promotion the previous Production version waits on standby (kept "
             "loaded by cairn serve for rollback) this long before it is archived: 2s, 30m, 48h; 0 archives "
             "it at once.")] = None,
    retention_days: Annotated[int | None, typer.Option(
        "--retention-days", min=0, max=MAX_RETENTION_DAYS, help="Days an archived version keeps its artifacts.")] = None,
    latency: Annotated[str | None, typer.Option(
        "--latency", metavar="'p99 <= budget|20ms'",
        help="Gate on the newest benchmark: 'p99 <= budget' (the version's requirement) or 'p99 <= 20ms'.")] = None,
    no_latency: Annotated[bool, typer.Option("--no-latency", help="Drop the latency gate.")] = False,
    shadow_agreement: Annotated[str | None, typer.Option(
        "--shadow-agreement", metavar="PCT", help="Shadow must agree with the primary on at least this: 95%.")] = None,
    shadow_min_pairs: Annotated[int | None, typer.Option(
        "--shadow-min-pairs", min=0, help="...over at least this many paired requests.")] = None,
    shadow_tolerance: Annotated[float | None, typer.Option(
        "--shadow-tolerance", min=0, help="Regressors: outputs within this agree (0: same label).")] = None,
    canary_errors: Annotated[str | None, typer.Option(
        "--canary-max-error-increase", metavar="PCT",
        help="Canary error rate at most the primary's plus this: 1%.")] = None,
    canary_p99: Annotated[float | None, typer.Option(
        "--canary-max-p99-ratio", min=0, help="Canary p99 at most this times the primary's: 1.5.")] = None,
    canary_min: Annotated[int | None, typer.Option(
        "--canary-min-requests", min=0, help="...over at least this many canary requests.")] = None,
    outcome_drop: Annotated[float | None, typer.Option(
        "--outcome-max-drop", min=0, help="Mean outcome at most this below the primary's (higher is better).")] = None,
    outcome_min: Annotated[int | None, typer.Option(
        "--outcome-min-count", min=0, help="...with at least this many outcomes on each side.")] = None,
    window: Annotated[str | None, typer.Option(
        "--evidence-window", metavar="DURATION", help="Prediction log read by the gates: 24h, 7d; 0 for all.")] = None,
    require_slice: Annotated[list[str] | None, typer.Option(
        "--require-slice", metavar="'auc >= 0.8 for every slice with >= 200 rows'",
        help="Gate on the source run's slice metrics; repeat (replaces the list).")] = None,
    no_slices: Annotated[bool, typer.Option("--no-slices", help="Drop every slice gate.")] = False,
    no_evidence: Annotated[bool, typer.Option(
        "--no-evidence-gates", help="Drop the shadow, canary and outcome gates.")] = False,
    clear: Annotated[bool, typer.Option(
        "--clear", help="Remove the policy (models fall back to the default).")] = False,
    reason: ReasonOption = None, user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Show or change a model's promotion policy (gates and sign-off); options given change it.

    \b
    Example:
      cairn models policy churn --require-metric 'auc >= 0.8' --require-staging --require-signoff
      cairn models policy churn --gate-stage Staging --latency 'p99 <= budget' --shadow-agreement 95% \\
          --shadow-min-pairs 200 --require-slice 'auc >= 0.8 for every slice with >= 200 rows'
    """
    from cairn.registry.evidence_policy import (
        parse_fraction,
        parse_latency_gate,
        parse_slice_requirement,
    )
    from cairn.registry.policies import parse_duration, parse_metric_requirement

    if default == (name is not None):
        raise typer.BadParameter("Name a model, or use --default for the server-wide policy (not both).")
    changes: dict[str, Any] = {key: value for key, value in {
        "require_signature": signature, "require_input_example": input_example,
        "require_staging_first": staging_first, "allow_direct_to_production": direct, "require_signoff": signoff,
        "signoff_excludes_creator": signoff_not_creator,
        "min_staging_ms": parse_duration(min_staging) if min_staging is not None else None,
        "gated_stages": tuple(gate_stages) if gate_stages else None, "retention_days": retention_days,
        "archive_previous_after_ms": parse_duration(archive_after) if archive_after is not None else None,
        "required_metrics": tuple(parse_metric_requirement(m) for m in require_metric) if require_metric else None,
    }.items() if value is not None}
    if no_metrics:
        changes["required_metrics"] = ()
    changes.update({key: value for key, value in {
        "min_shadow_agreement": parse_fraction(shadow_agreement, "--shadow-agreement")
        if shadow_agreement is not None else None,
        "min_shadow_pairs": shadow_min_pairs, "shadow_tolerance": shadow_tolerance,
        "max_canary_error_increase": parse_fraction(canary_errors, "--canary-max-error-increase")
        if canary_errors is not None else None,
        "max_canary_p99_ratio": canary_p99, "min_canary_requests": canary_min,
        "max_outcome_drop": outcome_drop, "min_outcomes": outcome_min,
        "evidence_window_ms": parse_duration(window) if window is not None else None,
        "required_slices": tuple(parse_slice_requirement(s) for s in require_slice) if require_slice else None,
    }.items() if value is not None})
    if latency is not None:
        changes.update(parse_latency_gate(latency))
    if no_latency:
        changes.update(latency_within_budget=False, max_latency_p99_ms=None)
    if no_slices:
        changes["required_slices"] = ()
    if no_evidence:
        changes.update(min_shadow_agreement=None, max_canary_error_increase=None, max_canary_p99_ratio=None,
                       max_outcome_drop=None)
    if clear and changes:
        raise typer.BadParameter("--clear removes the policy; it cannot be combined with changes.")
    c = client(ctx)
    if default:
        current = c.get_default_policy()
        if clear or changes:
            current = dataclasses.replace(current or Policy(), **changes) if changes else None
            c.set_default_policy(current, user=user)
        emit(views.policy_view(None, current, "server default"), as_json, render.render_policy)
        return
    assert name is not None
    if clear or changes:
        c.set_policy(name, dataclasses.replace(c.get_policy(name), **changes) if changes else None,
                     reason=reason, user=user)
    emit(views.policy_view(name, c.get_policy(name), c.get_policy_scope(name)), as_json, render.render_policy)
