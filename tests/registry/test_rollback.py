"""Rollback: the previous Production version back in one call, or a clean refusal."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.errors import Conflict, InvalidParameter, NotFound


def test_rollback_puts_back_the_previous_production_version_and_archives_the_current(db, make_versions, alice, bob):
    make_versions(3)
    for version in (1, 2, 3):
        registry.promote(db, "churn", version, "Production", alice)
    outcome = registry.rollback(db, "churn", bob, reason="p99 latency doubled")
    assert (outcome.model_version.version, outcome.model_version.current_stage) == (2, "Production")
    assert outcome.archived_versions == (3,)
    archived, rolled_back = registry.list_audit_events(db, "churn")[-2:]
    assert (archived.action, archived.version, archived.details["cause"]) == ("archive", 3, "rollback")
    assert (rolled_back.action, rolled_back.from_value, rolled_back.to_value, rolled_back.actor,
            rolled_back.reason, rolled_back.details) == (
        "rollback", "Archived", "Production", "bob", "p99 latency doubled",
        {"rolled_back_from": 3, "archived_versions": [3]})
    again = registry.rollback(db, "churn", bob, reason="and again")
    assert again.model_version.version == 3  # the one before 2 in the timeline is 3


def test_rollback_to_a_named_earlier_version(db, make_versions, alice):
    make_versions(3)
    for version in (1, 2, 3):
        registry.promote(db, "churn", version, "Production", alice)
    assert registry.rollback(db, "churn", alice, reason="known good", version=1).model_version.version == 1


def test_rollback_with_nothing_to_roll_back_to_is_refused_and_writes_nothing(db, make_versions, alice, row_counts):
    make_versions(2)
    before = row_counts()
    with pytest.raises(Conflict, match="no version has been in Production"):
        registry.rollback(db, "churn", alice, reason="oops")
    registry.promote(db, "churn", 1, "Production", alice)
    before = row_counts()
    with pytest.raises(Conflict, match="Nothing to roll back to: only version 1 has been in Production"):
        registry.rollback(db, "churn", alice, reason="oops")
    assert row_counts() == before


def test_rollback_requires_a_reason(db, make_versions, alice):
    make_versions(2)
    for version in (1, 2):
        registry.promote(db, "churn", version, "Production", alice)
    with pytest.raises(InvalidParameter, match="reason is required"):
        registry.rollback(db, "churn", alice, reason="  ")


def test_rollback_to_a_version_never_in_production_is_refused(db, make_versions, alice):
    make_versions(3)
    for version in (1, 2):
        registry.promote(db, "churn", version, "Production", alice)
    with pytest.raises(Conflict, match="never been in Production.*promote it instead"):
        registry.rollback(db, "churn", alice, reason="x", version=3)
    with pytest.raises(Conflict, match="in Production now"):
        registry.rollback(db, "churn", alice, reason="x", version=2)
    with pytest.raises(NotFound):
        registry.rollback(db, "churn", alice, reason="x", version=9)


def test_rollback_skips_deleted_versions(db, make_versions, alice):
    make_versions(3)
    for version in (1, 2, 3):
        registry.promote(db, "churn", version, "Production", alice)
    registry.delete_model_version(db, "churn", 2, alice)
    assert registry.rollback(db, "churn", alice, reason="x").model_version.version == 1


def test_rollback_ignores_the_policy_gates(db, make_run, make_versions, alice):
    from cairn.entities import MetricRequirement, Policy

    make_versions(2, source_run=make_run({"auc": 0.5}))
    for version in (1, 2):
        registry.promote(db, "churn", version, "Production", alice)
    registry.set_policy(db, "churn", Policy(require_signoff=True,
                                            required_metrics=(MetricRequirement("auc", ">=", 0.9),)), alice)
    assert registry.rollback(db, "churn", alice, reason="incident").applied
