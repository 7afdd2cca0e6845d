"""Sign-off: Production waits for approval by a user other than the requester."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.entities import Actor, Metric, MetricRequirement, Policy
from cairn.errors import Conflict, NotFound, PermissionDenied
from cairn.tracking import run_data

SIGNOFF = Policy(require_signoff=True)


@pytest.fixture
def pending(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    registry.set_policy(db, "churn", SIGNOFF, alice)
    return registry.promote(db, "churn", 2, "Production", alice, reason="new features")


def test_production_under_a_signoff_policy_opens_a_pending_request(db, pending):
    assert not pending.applied
    assert pending.model_version.current_stage == "None"
    request = pending.request
    assert (request.version, request.to_stage, request.requested_by, request.status) == (2, "Production", "alice",
                                                                                         "PENDING")
    assert [(g.name, g.passed, g.observed) for g in request.gate_results] == [("signoff", False, "pending")]
    assert registry.list_transition_requests(db, "churn") == [request]
    event = registry.list_audit_events(db, "churn")[-1]
    assert (event.action, event.details) == ("signoff_requested", {"request_id": request.request_id})


def test_requester_cannot_approve_their_own_request(db, pending, alice):
    with pytest.raises(PermissionDenied) as refused:
        registry.approve_transition_request(db, "churn", 2, alice)
    assert refused.value.http_status == 403
    assert registry.get_model_version(db, "churn", 2).current_stage == "None"
    assert registry.list_transition_requests(db, "churn")[0].status == "PENDING"


def test_approval_by_another_user_applies_the_transition_with_the_signoff_stored(db, pending, bob):
    outcome = registry.approve_transition_request(db, "churn", 2, bob, comment="read the eval")
    assert outcome.applied and outcome.archived_versions == (1,)
    assert outcome.model_version.current_stage == "Production"
    assert outcome.request.status == "APPROVED" and outcome.request.decided_by == "bob"
    signoff = outcome.gate_results[-1]
    assert (signoff.name, signoff.passed, signoff.observed) == ("signoff", True, "approved by bob")
    approved, archived, promoted = registry.list_audit_events(db, "churn")[-3:]
    assert (approved.action, approved.actor, approved.reason) == ("signoff_approved", "bob", "read the eval")
    assert (archived.action, archived.version) == ("archive", 1)
    assert (promoted.actor, promoted.details["approved_by"], promoted.reason) == ("alice", "bob", "new features")
    current = registry.production_version_at(db, "churn", promoted.timestamp)
    assert (current.version, current.started_by, current.approved_by) == (2, "alice", "bob")


def test_rejection_closes_the_request_without_moving_the_version(db, pending, bob):
    rejected = registry.reject_transition_request(db, "churn", 2, bob, comment="latency")
    assert (rejected.status, rejected.decided_by, rejected.decision_comment) == ("REJECTED", "bob", "latency")
    assert registry.get_model_version(db, "churn", 2).current_stage == "None"
    assert registry.list_transition_requests(db, "churn") == []
    assert registry.list_audit_events(db, "churn")[-1].action == "signoff_rejected"
    with pytest.raises(NotFound):
        registry.approve_transition_request(db, "churn", 2, bob)


def test_a_second_request_for_a_pending_version_is_a_conflict(db, pending, alice, row_counts):
    before = row_counts()
    with pytest.raises(Conflict, match="already has pending request"):
        registry.promote(db, "churn", 2, "Production", Actor("carol"))
    assert row_counts() == before


def test_approval_reruns_the_gates_and_keeps_the_request_when_one_fails(db, run_id, make_versions, alice, bob):
    make_versions(1)
    registry.set_policy(db, "churn", Policy(require_signoff=True,
                                            required_metrics=(MetricRequirement("auc", ">=", 0.8),)), alice)
    registry.promote(db, "churn", 1, "Production", alice)
    run_data.log_batch(db, run_id, metrics=[Metric("auc", 0.5, 1, 99)])  # a later, worse evaluation
    with pytest.raises(Conflict, match="metric:auc: observed 0.5"):
        registry.approve_transition_request(db, "churn", 1, bob)
    assert registry.list_transition_requests(db, "churn")[0].status == "PENDING"
    refusal = registry.list_audit_events(db, "churn")[-1]
    assert (refusal.action, refusal.actor) == ("transition_refused", "bob")
