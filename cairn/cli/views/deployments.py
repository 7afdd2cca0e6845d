"""What the ``cairn deployments`` commands print, as plain JSON-ready dicts: a deployment with the
plan resolved from it and one row per arm, and the sentences that word a comparison's agreement
(they go in the document, so a script reads the same sentences a person does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.client.client import Client
    from cairn.registry.deployments import DeploymentConfig, DeploymentPlan


def deployment_doc(c: Client, config: DeploymentConfig) -> dict[str, Any]:
    """The configuration, the plan resolved from it now (or why it cannot be), one row per arm, and
    the served rows flagged outside the training ranges, per version and feature."""
    plan: DeploymentPlan | None = None
    plan_error: str | None = None
    try:
        plan = c.resolve_deployment(config.model_name)
    except CairnError as exc:
        plan_error = exc.message
    try:
        flags: dict[str, Any] | None = c.flag_counts(config.model_name)
    except CairnError:
        flags = None
    return {"model_name": config.model_name, "summary": config.summary(), "deployment": config.to_dict(),
            "plan": plan.to_dict() if plan is not None else None, "plan_error": plan_error,
            "arms": _arms(config, plan), "range_flags": flags}


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


def comparison_notes(doc: Mapping[str, Any]) -> list[str]:
    """One sentence per agreement pair, and why arms that split traffic have none."""
    notes = []
    for a in doc["agreement"]:
        if a["rate"] is not None:
            notes.append(f"{a['arm']} vs {a['against']}: {a['rate'] * 100:.1f}% agreement over {a['pairs']:,} rows")
    arms = {arm["arm"] for arm in doc["arms"]}
    for challenger, against in (("canary", "primary"), ("b", "a")):
        if challenger in arms:
            notes.append(f"{challenger} vs {against}: they answer different requests, so agreement needs a shadow; "
                         "compare their outcomes and output means instead.")
    return notes
