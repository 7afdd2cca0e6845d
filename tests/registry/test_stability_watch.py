"""The policy's online gates keep watching a new Production version through its stability window:
the new version's live answers since its promotion against the standby version's answers before
it. A failure on enough evidence is a breach recorded by the system, which keeps the standby
version for a rollback; too little evidence is not a breach."""

from __future__ import annotations

import itertools

import pytest

from cairn import registry
from cairn.entities import Policy
from cairn.registry import predictions, standby

WINDOW_MS = 10_000
MIN_REQUESTS = 20
_ids = itertools.count()


@pytest.fixture
def watched(db, make_versions, alice, clock):
    """v1 in Production has served 40 requests without an error; the policy watches canary errors
    and p99 latency, and outcomes, through a 10-second window."""
    make_versions(2)
    registry.set_policy(db, "churn", Policy(
        gated_stages=("Staging",), archive_previous_after_ms=WINDOW_MS, max_canary_error_increase=0.05,
        max_canary_p99_ratio=2.0, min_canary_requests=MIN_REQUESTS, max_outcome_drop=0.1, min_outcomes=10), alice)
    registry.promote(db, "churn", 1, "Production", alice)
    serve(db, clock, version=1, count=40, latency_ms=5.0)
    clock.advance(10)
    return db


def serve(db, clock, *, version: int, count: int, latency_ms: float = 5.0, errors: int = 0,
          outcome: float | None = None, alice=None) -> list[str]:
    """``count`` live primary answers by ``version``, one every 10 ms of the fake clock; the first
    ``errors`` of them failed."""
    ids = []
    records = []
    for i in range(count):
        clock.advance(10)
        pid = f"p{next(_ids)}"
        ids.append(pid)
        records.append({"prediction_id": pid, "request_id": pid, "row_index": 0, "timestamp": clock.now,
                        "model_name": "churn", "version": version, "arm": "primary", "features": {"x": 1.0},
                        "output": None if i < errors else 1, "latency_ms": latency_ms,
                        "error": "ValueError: cannot score" if i < errors else None})
    predictions.log_predictions(db, records)
    if outcome is not None:
        for pid in ids[errors:]:
            predictions.log_outcome(db, pid, outcome, alice)
    return ids


def _stage(db, version: int) -> str:
    return registry.get_model_version(db, "churn", version).current_stage


def test_a_new_version_failing_live_traffic_is_a_breach_that_keeps_the_standby_version(watched, clock, alice):
    registry.promote(watched, "churn", 2, "Production", alice, reason="v2 looked fine on the canary")
    serve(watched, clock, version=2, count=30, errors=12)
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(watched) == []
    assert (_stage(watched, 1), _stage(watched, 2)) == ("Standby", "Production")
    breach, held = registry.list_audit_events(watched, "churn")[-2:]
    assert (breach.action, breach.version, breach.actor, breach.actor_verified) == (
        "gate_breach", 2, "cairn-system", True)
    assert breach.details["cause"] == "stability_watch" and breach.details["standby"] == 1
    errors = next(g for g in breach.gate_results if g.name == "canary_errors")
    assert not errors.passed
    assert (errors.evidence["requests"], errors.evidence["errors"], errors.evidence["primary_requests"],
            errors.evidence["primary_errors"]) == (30, 12, 40, 0)
    assert "40.0% errors (12/30) vs primary 0.0%" in breach.reason
    assert (held.action, held.version, held.details["breach_event"]) == ("standby_held", 1, breach.event_id)
    assert registry.rollback(watched, "churn", alice, reason="breach").model_version.version == 1


def test_a_healthy_new_version_is_kept_and_the_old_one_archived(watched, clock, alice):
    registry.promote(watched, "churn", 2, "Production", alice)
    serve(watched, clock, version=2, count=30, latency_ms=6.0)
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(watched) == [("churn", 1)]
    assert _stage(watched, 1) == "Archived"
    assert not [e for e in registry.list_audit_events(watched, "churn") if e.action == "gate_breach"]


def test_too_little_evidence_is_not_a_breach(watched, clock, alice):
    registry.promote(watched, "churn", 2, "Production", alice)
    serve(watched, clock, version=2, count=MIN_REQUESTS - 1, errors=MIN_REQUESTS - 1)
    report = standby.stability_report(watched, "churn")
    gates = {g["name"]: g for g in report["windows"][0]["watch"]["gates"]}
    assert not gates["canary_errors"]["passed"] and report["windows"][0]["watch"]["breaches"] == []
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(watched) == [("churn", 1)]


def test_a_slower_new_version_breaches_the_latency_gate(watched, clock, alice):
    registry.promote(watched, "churn", 2, "Production", alice)
    serve(watched, clock, version=2, count=30, latency_ms=25.0)
    clock.advance(WINDOW_MS)
    standby.sweep_standby(watched)
    breach = [e for e in registry.list_audit_events(watched, "churn") if e.action == "gate_breach"][-1]
    latency = next(g for g in breach.gate_results if g.name == "canary_latency")
    assert not latency.passed and (latency.evidence["p99_ms"], latency.evidence["primary_p99_ms"]) == (25.0, 5.0)
    assert _stage(watched, 1) == "Standby"


def test_worse_outcomes_breach_the_outcome_gate(db, make_versions, alice, clock):
    make_versions(2)
    registry.set_policy(db, "churn", Policy(gated_stages=("Staging",), archive_previous_after_ms=WINDOW_MS,
                                            max_outcome_drop=0.1, min_outcomes=10), alice)
    registry.promote(db, "churn", 1, "Production", alice)
    serve(db, clock, version=1, count=20, outcome=0.9, alice=alice)
    clock.advance(10)
    registry.promote(db, "churn", 2, "Production", alice)
    serve(db, clock, version=2, count=20, outcome=0.6, alice=alice)
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(db) == []
    breach = [e for e in registry.list_audit_events(db, "churn") if e.action == "gate_breach"][-1]
    outcome = next(g for g in breach.gate_results if g.name == "outcome")
    assert (outcome.evidence["outcome_mean"], outcome.evidence["primary_outcome_mean"]) == (
        pytest.approx(0.6), pytest.approx(0.9))


def test_the_server_tick_records_a_breach_once_while_the_window_is_open(watched, clock, alice):
    registry.promote(watched, "churn", 2, "Production", alice)
    serve(watched, clock, version=2, count=30, errors=30)
    assert standby.watch_open_windows(watched) == [("churn", 2)]
    assert standby.watch_open_windows(watched) == []  # recorded already: not again
    breaches = [e for e in registry.list_audit_events(watched, "churn") if e.action == "gate_breach"]
    assert len(breaches) == 1 and breaches[0].actor == "cairn-system"
    report = standby.stability_report(watched, "churn")
    assert report["windows"][0]["breach"]["event_id"] == breaches[0].event_id
    assert _stage(watched, 1) == "Standby"  # still inside the window
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(watched) == [] and _stage(watched, 1) == "Standby"


def test_a_policy_without_online_gates_watches_nothing(db, make_versions, alice, clock):
    make_versions(2)
    registry.set_policy(db, "churn", Policy(archive_previous_after_ms=WINDOW_MS), alice)
    registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 2, "Production", alice)
    serve(db, clock, version=2, count=30, errors=30)
    assert standby.watch_open_windows(db) == []
    report = standby.stability_report(db, "churn")
    assert report["watched"] == [] and report["windows"][0]["watch"] is None
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(db) == [("churn", 1)]


def test_a_breach_reported_by_hand_names_who_and_why(watched, clock, alice):
    registry.promote(watched, "churn", 2, "Production", alice)
    event = standby.record_gate_breach(watched, "churn", 2, alice, "refund rate doubled since 09:00")
    assert (event.action, event.actor, event.reason, event.details["cause"]) == (
        "gate_breach", "alice", "refund rate doubled since 09:00", "reported")
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(watched) == [] and _stage(watched, 1) == "Standby"
