"""Watching a new Production version through its stability window.

The online gates that let a candidate into Production (canary errors, canary p99 latency,
outcomes) keep watching it afterwards. The new Production version's live answers since its
promotion are compared with the standby version's live answers over an equal span just before
the promotion (the same deployment's traffic, the policy's own thresholds and minimum counts),
so "as good as what it replaced" is measured on what each actually served.

A gate that fails *with enough evidence* is a breach; too few requests or outcomes so far is not
(quiet traffic must not hold a standby version forever). ``cairn.registry.standby`` records a
breach as a ``gate_breach`` event by the system principal with the numbers seen, which holds the
standby version for a rollback instead of archiving it when the window ends.

Pure reads of the prediction log through ``evidence_log.measure``; the verdict is ``evaluate``'s
from ``evidence_gates``, so the numbers and wording are the ones a promotion shows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cairn.entities import GateResult, Policy
from cairn.store.registry_models import ModelRef, Tx

from .evidence import ServingRequirements
from .evidence_gates import (
    CANARY_ERRORS,
    CANARY_LATENCY,
    OUTCOME,
    EvidenceInput,
    evaluate,
)
from .evidence_log import CandidateEvidence, measure

WATCHED_GATES = (CANARY_ERRORS, CANARY_LATENCY, OUTCOME)


@dataclass(frozen=True)
class WatchVerdict:
    """The watched gates of one Production version over [since, until), against the standby
    version over the span before ``since``; ``breaches`` are the failures with enough evidence."""

    production: int
    standby: int
    since: int
    until: int
    baseline_since: int
    results: tuple[GateResult, ...]
    breaches: tuple[GateResult, ...]

    def reason(self) -> str:
        named = "; ".join(f"{r.name}: {r.observed} (needs {r.threshold})" for r in self.breaches)
        return f"v{self.production} after promotion vs v{self.standby} before it: {named}"


def watched_gates(policy: Policy) -> list[str]:
    """The policy's online gates, which keep watching a version after its promotion."""
    bounds = (policy.max_canary_error_increase, policy.max_canary_p99_ratio, policy.max_outcome_drop)
    return [name for name, bound in zip(WATCHED_GATES, bounds, strict=True) if bound is not None]


def watch(tx: Tx, model: ModelRef, policy: Policy, production: int, standby: int, since: int, until: int,
          window_ms: int) -> WatchVerdict | None:
    """The verdict over [since, until), or None when the policy watches nothing. The baseline
    span before ``since`` is the policy's evidence window, else the stability window's length."""
    if not watched_gates(policy):
        return None
    span = policy.evidence_window_ms or window_ms or max(until - since, 1)
    after = measure(tx, model.name, production, since, until)
    before = measure(tx, model.name, standby, since - span, since)
    log = CandidateEvidence(production, standby, since, until, after.rows_read + before.rows_read,
                            after.truncated or before.truncated, 0.0, live=after.live, primary_live=before.live)
    online_only = dataclasses.replace(policy, latency_within_budget=False, max_latency_p99_ms=None,
                                      min_shadow_agreement=None, required_slices=())
    results = tuple(evaluate(online_only, EvidenceInput(model.name, production, ServingRequirements(), None,
                                                        log, [], None)))
    breaches = tuple(r for r in results if not r.passed and _enough(policy, r))
    return WatchVerdict(production, standby, since, until, since - span, results, breaches)


def _enough(policy: Policy, result: GateResult) -> bool:
    """Whether a failed result rests on enough evidence to be a breach, not on too little."""
    facts = result.evidence
    if result.name in (CANARY_ERRORS, CANARY_LATENCY):
        return facts.get("requests", 0) >= max(policy.min_canary_requests, 1) \
            and facts.get("primary_requests", 0) >= 1 \
            and (result.name == CANARY_ERRORS or facts.get("p99_ms") is not None)
    if result.name == OUTCOME:
        need = max(policy.min_outcomes, 1)
        return facts.get("outcomes", 0) >= need and facts.get("primary_outcomes", 0) >= need
    return False
