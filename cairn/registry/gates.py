"""Gates: the checks a policy runs before a transition, each giving a stored ``GateResult``.

``gather`` collects what the checks look at (inside the transition's transaction, so they see
the state the transition will change): the source run's latest metrics, how long the version has
been in Staging (from the audit trail), and the model's MLmodel file. ``evaluate`` is pure. The evidence
gates (benchmark latency, shadow, canary, outcomes, slices) are ``evidence_gates``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

from cairn.entities import (
    Actor,
    GateResult,
    MetricRequirement,
    ModelStage,
    ModelVersion,
    Policy,
)
from cairn.store import registry_audit as trail
from cairn.store import runs as run_rows
from cairn.store.registry_models import ModelRef, Tx

from . import evidence_gates
from .actions import STAGE_ACTIONS
from .evidence_gates import EvidenceInput
from .model_files import ModelFacts, ModelFiles, read_model_facts
from .timeline import stage_intervals

SIGNOFF = "signoff"
_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, ">": operator.gt, "<": operator.lt}
PRODUCTION, STAGING, NONE = ModelStage.PRODUCTION.value, ModelStage.STAGING.value, ModelStage.NONE.value


@dataclass(frozen=True)
class GateInput:
    """Everything the gates of one transition look at."""

    version: ModelVersion
    from_stage: str
    to_stage: str
    run_found: bool
    metrics: Mapping[str, float]
    staging_ms: int
    was_in_staging: bool
    model: ModelFacts | None
    evidence: EvidenceInput | None = None


def gather(tx: Tx, model: ModelRef, version: ModelVersion, to_stage: str, policy: Policy,
           files: ModelFiles | None, now: int) -> GateInput:
    """Read what ``policy``'s gates need for moving ``version`` to ``to_stage``."""
    metrics: dict[str, float] = {}
    run_found = False
    gated = to_stage in policy.gated_stages
    if version.run_id and (policy.required_metrics or (gated and policy.required_slices)):
        found = run_rows.load_runs(tx, [version.run_id])
        if found:
            run_found = True
            metrics = {key: m.value for key, m in found[0].data.metrics.items()}
    events = trail.list_events(tx, model.key, version=version.version, actions=STAGE_ACTIONS)
    staged = stage_intervals(events, STAGING)
    staging_ms = sum((i.end if i.end is not None else now) - i.start for i in staged)
    needs_files = to_stage in policy.gated_stages and (policy.require_signature or policy.require_input_example)
    return GateInput(
        version=version, from_stage=version.current_stage, to_stage=to_stage, run_found=run_found,
        metrics=metrics, staging_ms=staging_ms, was_in_staging=bool(staged),
        model=read_model_facts(files, version.files_location) if needs_files else None,
        evidence=evidence_gates.gather(tx, model, version.version, version.run_id, metrics, policy, now)
        if gated and evidence_gates.has_gates(policy) else None,
    )


def evaluate(policy: Policy, gi: GateInput) -> list[GateResult]:
    """Every applicable gate except sign-off, in a stable order."""
    results: list[GateResult] = []
    to_production = gi.to_stage == PRODUCTION
    name, number = gi.version.name, gi.version.version
    if to_production and not policy.allow_direct_to_production:
        passed = gi.from_stage != NONE
        results.append(GateResult(
            "no_direct_production", passed, f"from {gi.from_stage}", f"not from {NONE}",
            "" if passed else f"promote to Staging first: cairn models promote {name} {number} --to Staging",
        ))
    if to_production and policy.require_staging_first:
        passed = gi.was_in_staging
        results.append(GateResult(
            "staging_first", passed, "has been in Staging" if passed else "never in Staging", "has been in Staging",
            "" if passed else f"promote to Staging first: cairn models promote {name} {number} --to Staging",
        ))
    if to_production and policy.min_staging_ms > 0:
        passed = gi.staging_ms >= policy.min_staging_ms
        results.append(GateResult(
            "min_staging_time", passed, f"{format_duration(gi.staging_ms)} in Staging",
            f">= {format_duration(policy.min_staging_ms)}",
            "" if passed else f"leave it in Staging {format_duration(policy.min_staging_ms - gi.staging_ms)} longer",
        ))
    if gi.to_stage in policy.gated_stages:
        results.extend(_metric_gate(req, gi) for req in policy.required_metrics)
        if policy.require_signature:
            results.append(_model_gate("signature", gi, gi.model is not None and gi.model.has_signature,
                                       "MLmodel has no signature",
                                       "log the model with a signature (mlflow.models.infer_signature)"))
        if policy.require_input_example:
            results.append(_model_gate("input_example", gi, gi.model is not None and gi.model.has_input_example,
                                       "MLmodel names no readable input example",
                                       "log the model with input_example=..."))
        if gi.evidence is not None:
            results.extend(evidence_gates.evaluate(policy, gi.evidence))
    return results


def needs_signoff(policy: Policy, to_stage: str) -> bool:
    return policy.require_signoff and to_stage == PRODUCTION


def signoff_pending(requester: Actor) -> GateResult:
    return GateResult(SIGNOFF, False, "pending", f"approval by a user other than {requester.name}",
                      "another user approves: cairn models approve NAME VERSION")


def signoff_granted(requester: str, approver: Actor) -> GateResult:
    return GateResult(SIGNOFF, True, f"approved by {approver.name}", f"approval by a user other than {requester}")


def refusal_message(name: str, version: int, to_stage: str, results: list[GateResult]) -> str:
    failed = [r for r in results if not r.passed]
    parts = [f"{r.name}: observed {r.observed}, required {r.threshold}" + (f" ({r.hint})" if r.hint else "")
             for r in failed]
    return (f"Version {version} of '{name}' cannot move to {to_stage}: {len(failed)} gate(s) failed: "
            + "; ".join(parts) + ".")


def format_duration(ms: int) -> str:
    seconds = max(ms, 0) // 1000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if v]
    return " ".join(parts) if parts else f"{max(ms, 0)}ms"


def _metric_gate(req: MetricRequirement, gi: GateInput) -> GateResult:
    name = f"metric:{req.key}"
    threshold = f"{req.op} {req.threshold:g}"
    if not gi.version.run_id:
        return GateResult(name, False, "no source run", threshold, "register the version with its run_id")
    if not gi.run_found:
        return GateResult(name, False, f"source run {gi.version.run_id} not found", threshold,
                          "register a version whose source run exists")
    value = gi.metrics.get(req.key)
    if value is None:
        return GateResult(name, False, "not logged", threshold,
                          f"log {req.key} on run {gi.version.run_id} (needs {req.key} {threshold})")
    passed = not math.isnan(value) and _OPS[req.op](value, req.threshold)
    hint = "" if passed else f"needs {req.key} {threshold} on the source run; it logged {value:.6g}"
    return GateResult(name, passed, f"{value:.6g}", threshold, hint)


def _model_gate(name: str, gi: GateInput, passed: bool, missing: str, fix: str) -> GateResult:
    facts = gi.model
    if passed:
        return GateResult(name, True, "present", "present")
    observed = facts.problem if facts is not None and facts.problem else missing
    return GateResult(name, False, observed or missing, "present", fix)
