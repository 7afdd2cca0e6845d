"""The audit trail: complete, ordered, append-only."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.entities import Policy
from cairn.errors import InvalidParameter


def test_every_registry_change_is_recorded_in_order_with_actor_time_and_reason(db, make_versions, alice, bob,
                                                                               clock):
    make_versions(2)
    clock.advance(10)
    registry.promote(db, "churn", 1, "Staging", alice, reason="offline eval ok")
    registry.promote(db, "churn", 1, "Production", alice, reason="ship")
    registry.set_alias(db, "churn", "champion", 1, alice)
    registry.set_policy(db, "churn", Policy(require_signoff=True), alice)
    registry.promote(db, "churn", 2, "Production", alice, reason="v2")
    registry.reject_transition_request(db, "churn", 2, bob, comment="not yet")
    registry.promote(db, "churn", 2, "Production", alice, reason="v2 again")
    registry.approve_transition_request(db, "churn", 2, bob)
    registry.rollback(db, "churn", bob, reason="errors up")
    registry.delete_alias(db, "churn", "champion", bob)
    registry.delete_model_version(db, "churn", 2, bob)
    events = registry.list_audit_events(db, "churn")
    assert [(e.action, e.version, e.actor) for e in events] == [
        ("model_created", None, "alice"), ("version_created", 1, "alice"), ("version_created", 2, "alice"),
        ("promote", 1, "alice"), ("promote", 1, "alice"), ("alias_set", 1, "alice"), ("policy_set", None, "alice"),
        ("signoff_requested", 2, "alice"), ("signoff_rejected", 2, "bob"), ("signoff_requested", 2, "alice"),
        ("signoff_approved", 2, "bob"), ("archive", 1, "alice"), ("promote", 2, "alice"),
        ("archive", 2, "bob"), ("rollback", 1, "bob"), ("alias_deleted", 1, "bob"), ("version_deleted", 2, "bob"),
    ]
    assert [e.event_id for e in events] == sorted(e.event_id for e in events)
    assert all(e.timestamp == clock.now for e in events[3:]) and events[0].timestamp == clock.now - 10
    assert all(not e.actor_verified for e in events)
    assert [e.reason for e in events if e.action == "promote"] == ["offline eval ok", "ship", "v2 again"]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'mallory'",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_edit_or_delete_audit_events(db, make_versions, statement):
    make_versions(1)
    before = registry.list_audit_events(db, "churn")
    with pytest.raises(InvalidParameter), db.write() as conn:
        conn.exec_driver_sql(statement)
    assert registry.list_audit_events(db, "churn") == before


def test_the_registry_api_has_no_way_to_edit_or_delete_events():
    names = [n for n in dir(registry) if "audit" in n or "event" in n]
    assert names == ["audit", "list_audit_events"]


def test_last_events_can_be_read_newest_first_and_per_version(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 2, "Staging", alice)
    assert [e.action for e in registry.list_audit_events(db, "churn", max_results=2, newest_first=True)] == [
        "promote", "version_created"]
    assert [e.action for e in registry.list_audit_events(db, "churn", version=1)] == ["version_created"]
