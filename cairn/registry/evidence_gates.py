"""Evidence gates: latency (the newest benchmark), shadow agreement, canary errors and latency,
outcomes against the primary, and slice metrics. Each result keeps the numbers it saw
(``GateResult.evidence``: counts, rates, the window read), so the audit trail shows why a
promotion was allowed or refused.

``gather`` reads what they need inside the transition's transaction; ``evaluate`` is pure and is
also what ``deployments compare`` calls to say which gates would pass now.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cairn.entities import GateResult, Policy, SliceRequirement
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking.slice_metrics import SliceMetric, read_slices

from .evidence import (
    BenchmarkResult,
    ServingRequirements,
    latest_benchmark,
    latest_requirements,
)
from .evidence_log import CandidateEvidence, measure

LATENCY, SHADOW, CANARY_ERRORS, CANARY_LATENCY, OUTCOME = (
    "latency", "shadow_agreement", "canary_errors", "canary_latency", "outcome")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


@dataclass(frozen=True)
class EvidenceInput:
    """What the evidence gates of one version look at."""

    name: str
    version: int
    requirements: ServingRequirements
    benchmark: BenchmarkResult | None
    log: CandidateEvidence | None
    slices: list[SliceMetric]
    run_id: str | None


def uses_log(policy: Policy) -> bool:
    return any(v is not None for v in (policy.min_shadow_agreement, policy.max_canary_error_increase,
                                       policy.max_canary_p99_ratio, policy.max_outcome_drop))


def has_gates(policy: Policy) -> bool:
    return uses_log(policy) or policy.latency_within_budget or policy.max_latency_p99_ms is not None \
        or bool(policy.required_slices)


def window(policy: Policy, now: int) -> tuple[int | None, int | None]:
    return (now - policy.evidence_window_ms if policy.evidence_window_ms else None), None


def gather(tx: Tx, model: ModelRef, version: int, run_id: str | None, metrics: Mapping[str, float],
           policy: Policy, now: int, span: tuple[int | None, int | None] | None = None) -> EvidenceInput:
    """``span`` (since, until) replaces the policy's window (``deployments compare --since``)."""
    since, until = span if span is not None and span != (None, None) else window(policy, now)
    log = measure(tx, model.name, version, since, until, policy.shadow_tolerance) if uses_log(policy) else None
    return EvidenceInput(model.name, version, latest_requirements(tx, model, version),
                         latest_benchmark(tx, model, version), log, read_slices(metrics), run_id)


def evaluate(policy: Policy, ei: EvidenceInput) -> list[GateResult]:
    results: list[GateResult] = []
    if policy.latency_within_budget or policy.max_latency_p99_ms is not None:
        results.append(_latency(policy, ei))
    if ei.log is not None:
        if policy.min_shadow_agreement is not None:
            results.append(_shadow(policy, ei, ei.log))
        if policy.max_canary_error_increase is not None:
            results.append(_canary_errors(policy, ei, ei.log))
        if policy.max_canary_p99_ratio is not None:
            results.append(_canary_latency(policy, ei, ei.log))
        if policy.max_outcome_drop is not None:
            results.append(_outcome(policy, ei, ei.log))
    results.extend(_slices(req, ei) for req in policy.required_slices)
    return results


def _latency(policy: Policy, ei: EvidenceInput) -> GateResult:
    bounds = []
    if policy.max_latency_p99_ms is not None:
        bounds.append(policy.max_latency_p99_ms)
    budget = ei.requirements.latency_p99_ms
    threshold = " and ".join(filter(None, [
        "p99 <= budget" + (f" ({budget:g} ms)" if budget is not None else "") if policy.latency_within_budget else "",
        f"p99 <= {policy.max_latency_p99_ms:g} ms" if policy.max_latency_p99_ms is not None else ""]))
    if policy.latency_within_budget:
        if budget is None:
            return GateResult(LATENCY, False, "no latency budget stated", threshold,
                              f"state one: cairn models requirements {ei.name} {ei.version} --latency-p99 20ms")
        bounds.append(budget)
    bench = ei.benchmark
    if bench is None:
        return GateResult(LATENCY, False, "no benchmark", threshold,
                          f"run: cairn models benchmark {ei.name} {ei.version}")
    bound = min(bounds)
    passed = bench.p99_ms <= bound
    facts = {"p50_ms": bench.p50_ms, "p99_ms": bench.p99_ms, "rows_per_s": bench.rows_per_s,
             "requests": bench.requests, "bound_ms": bound, "measured_time": bench.measured_time,
             "machine": bench.machine}
    observed = f"p99 {bench.p99_ms:.3g} ms over {bench.requests} requests on {bench.machine.get('hostname', '?')}"
    hint = "" if passed else (f"p99 {bench.p99_ms:.3g} ms exceeds {bound:g} ms; make it faster, re-run "
                              f"cairn models benchmark {ei.name} {ei.version}")
    return GateResult(LATENCY, passed, observed, threshold, hint, facts)


def _shadow(policy: Policy, ei: EvidenceInput, log: CandidateEvidence) -> GateResult:
    assert policy.min_shadow_agreement is not None
    need, pairs, rate = policy.min_shadow_agreement, log.shadow_pairs, log.agreement
    how = "same label" if policy.shadow_tolerance == 0 else f"|Δ| <= {policy.shadow_tolerance:g}"
    threshold = f">= {need:.1%} over >= {policy.min_shadow_pairs} paired requests ({how})"
    facts = {"pairs": pairs, "agreed": log.shadow_agreed, "rate": rate, "primary": log.primary,
             "tolerance": policy.shadow_tolerance, **log.window()}
    if pairs == 0 or pairs < policy.min_shadow_pairs:
        return GateResult(SHADOW, False, f"{pairs} paired requests" + (f", {rate:.1%} agreed" if rate is not None
                                                                         else ""), threshold,
                          f"shadow v{ei.version} behind the primary longer "
                          f"(cairn deployments set {ei.name} --shadow {ei.version}): "
                          f"{max(policy.min_shadow_pairs, 1) - pairs} more paired requests needed", facts)
    assert rate is not None
    passed = rate >= need
    hint = "" if passed else (f"v{ei.version} agreed with primary v{log.primary} on {rate:.1%} of "
                              f"{pairs} requests; it needs {need:.1%}")
    return GateResult(SHADOW, passed, f"{rate:.1%} agreed over {pairs} paired requests", threshold, hint, facts)


def _canary_errors(policy: Policy, ei: EvidenceInput, log: CandidateEvidence) -> GateResult:
    assert policy.max_canary_error_increase is not None
    live, base = log.live, log.primary_live
    budget = policy.max_canary_error_increase
    threshold = f"error rate <= primary's + {budget:.1%} over >= {policy.min_canary_requests} requests"
    facts = {"requests": live.requests, "errors": live.errors, "error_rate": live.error_rate,
             "primary": log.primary, "primary_requests": base.requests, "primary_errors": base.errors,
             "primary_error_rate": base.error_rate, **log.window()}
    short = _too_few(live.requests, policy.min_canary_requests)
    if short:
        return GateResult(CANARY_ERRORS, False, f"{live.requests} live requests", threshold,
                          f"run v{ei.version} as a canary longer (cairn deployments set {ei.name} --canary "
                          f"{ei.version} --percent 10): {short} more requests needed", facts)
    rate, base_rate = live.error_rate or 0.0, base.error_rate or 0.0
    passed = rate <= base_rate + budget
    observed = f"{rate:.1%} errors ({live.errors}/{live.requests}) vs primary {base_rate:.1%} ({base.errors}/" \
               f"{base.requests})"
    hint = "" if passed else f"the canary fails {rate - base_rate:.1%} more often than the primary; budget {budget:.1%}"
    return GateResult(CANARY_ERRORS, passed, observed, threshold, hint, facts)


def _canary_latency(policy: Policy, ei: EvidenceInput, log: CandidateEvidence) -> GateResult:
    assert policy.max_canary_p99_ratio is not None
    live, base = log.live, log.primary_live
    ratio = policy.max_canary_p99_ratio
    threshold = f"p99 <= {ratio:g} × primary's over >= {policy.min_canary_requests} requests"
    facts = {"requests": live.requests, "p99_ms": live.p99_ms, "primary": log.primary,
             "primary_requests": base.requests, "primary_p99_ms": base.p99_ms, **log.window()}
    short = _too_few(live.requests, policy.min_canary_requests)
    if short or live.p99_ms is None or base.p99_ms is None:
        return GateResult(CANARY_LATENCY, False, f"{live.requests} live requests, primary {base.requests}", threshold,
                          f"run v{ei.version} as a canary longer: {max(short, 1)} more requests needed", facts)
    passed = live.p99_ms <= base.p99_ms * ratio
    observed = f"p99 {live.p99_ms:.3g} ms vs primary {base.p99_ms:.3g} ms over {live.requests} requests"
    hint = "" if passed else f"the canary's p99 is {live.p99_ms / max(base.p99_ms, 1e-9):.2g}× the primary's"
    return GateResult(CANARY_LATENCY, passed, observed, threshold, hint, facts)


def _outcome(policy: Policy, ei: EvidenceInput, log: CandidateEvidence) -> GateResult:
    assert policy.max_outcome_drop is not None
    live, base = log.live, log.primary_live
    drop = policy.max_outcome_drop
    threshold = f"mean outcome >= primary's - {drop:g}, >= {policy.min_outcomes} outcomes each"
    facts = {"outcomes": live.outcomes, "outcome_mean": live.outcome_mean, "primary": log.primary,
             "primary_outcomes": base.outcomes, "primary_outcome_mean": base.outcome_mean, **log.window()}
    short = max(_too_few(live.outcomes, policy.min_outcomes), _too_few(base.outcomes, policy.min_outcomes))
    if short or live.outcome_mean is None or base.outcome_mean is None:
        return GateResult(OUTCOME, False, f"{live.outcomes} outcomes vs primary {base.outcomes}", threshold,
                          "log outcomes for served predictions (cairn.log_outcome(prediction_id, value)): "
                          f"{max(short, 1)} more needed", facts)
    passed = live.outcome_mean >= base.outcome_mean - drop
    observed = (f"{live.outcome_mean:.4g} over {live.outcomes} outcomes vs primary {base.outcome_mean:.4g} "
                f"over {base.outcomes}")
    hint = "" if passed else f"worse than the primary by {base.outcome_mean - live.outcome_mean:.4g} (allowed {drop:g})"
    return GateResult(OUTCOME, passed, observed, threshold, hint, facts)


def _slices(req: SliceRequirement, ei: EvidenceInput) -> GateResult:
    name = f"slices:{req.metric}"
    threshold = str(req)
    found = [s for s in ei.slices if s.metric == req.metric]
    if not found:
        return GateResult(name, False, f"no {req.metric} slice metrics", threshold,
                          f"log them on run {ei.run_id or '(no source run)'}: "
                          f"cairn.log_slice_metrics(y_true, y_pred, by=df[[...]], metrics=['{req.metric}'])")
    checked = [s for s in found if s.rows >= req.min_rows]
    failing = sorted((s for s in checked if not _OPS[req.op](s.value, req.threshold)), key=lambda s: s.value)
    facts: dict[str, Any] = {"slices": len(found), "checked": len(checked), "min_rows": req.min_rows,
                             "failing": [{"slice": s.slice, "value": s.value, "rows": s.rows} for s in failing]}
    if failing:
        worst = failing[0]
        observed = f"{worst.slice}: {req.metric} {worst.value:.4g} over {worst.rows} rows" + (
            f" (+{len(failing) - 1} more slice(s))" if len(failing) > 1 else "")
        named = "; ".join(f"{s.slice} {req.metric} {s.value:.4g} ({s.rows} rows)" for s in failing[:5])
        return GateResult(name, False, observed, threshold, f"below the bar: {named}", facts)
    if not checked:
        return GateResult(name, False, f"no slice has >= {req.min_rows} rows", threshold,
                          "log slice metrics on more data", facts)
    lowest = min(checked, key=lambda s: s.value)
    return GateResult(name, True, f"{len(checked)} slices pass; lowest {lowest.slice} {lowest.value:.4g} "
                                  f"({lowest.rows} rows)", threshold, "", facts)


def _too_few(count: int, minimum: int) -> int:
    return max(minimum - count, 0) if minimum else (1 if count == 0 else 0)
