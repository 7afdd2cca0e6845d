"""The stability window: a replaced Production version waits on standby, then the system archives
it, unless a rollback or a gate breach comes first."""

from __future__ import annotations

import threading

import pytest

from cairn import registry
from cairn.entities import Policy
from cairn.errors import Conflict, InvalidParameter
from cairn.registry import standby
from cairn.registry.policies import policy_from_dict, policy_to_dict

WINDOW_MS = 2000


@pytest.fixture
def windowed(db, make_versions, alice, clock):
    make_versions(3)
    registry.set_policy(db, "churn", policy_from_dict({"archive_previous_after": "2s"}), alice)
    registry.promote(db, "churn", 1, "Production", alice)
    return db


def _stage(db, version: int) -> str:
    return registry.get_model_version(db, "churn", version).current_stage


def test_the_window_is_a_duration_in_the_policy():
    assert policy_from_dict({"archive_previous_after": "48h"}).archive_previous_after_ms == 48 * 3_600_000
    assert policy_from_dict({"archive_previous_after": "30m"}).archive_previous_after_ms == 1_800_000
    assert Policy().archive_previous_after_ms == 0  # default: archive at once, as before
    assert policy_from_dict(policy_to_dict(policy_from_dict({"archive_previous_after": "2s"}))) \
        .archive_previous_after_ms == WINDOW_MS
    for bad in ("soon", "-5s", "400d", True):
        with pytest.raises(InvalidParameter, match="archive_previous_after|Duration"):
            policy_from_dict({"archive_previous_after": bad})


def test_promotion_puts_the_previous_version_on_standby_then_the_system_archives_it(windowed, clock, alice):
    outcome = registry.promote(windowed, "churn", 2, "Production", alice, reason="v2 is better")
    assert outcome.archived_versions == ()
    assert (_stage(windowed, 1), _stage(windowed, 2)) == ("Standby", "Production")
    moved = registry.list_audit_events(windowed, "churn")[-2]
    assert (moved.action, moved.version, moved.from_value, moved.to_value, moved.actor) == (
        "standby", 1, "Production", "Standby", "alice")
    assert moved.details["archive_after"] == clock.now + WINDOW_MS

    clock.advance(WINDOW_MS - 1)
    assert standby.sweep_standby(windowed) == []
    assert _stage(windowed, 1) == "Standby"
    clock.advance(1)
    assert standby.sweep_standby(windowed) == [("churn", 1)]
    assert _stage(windowed, 1) == "Archived"
    archived = registry.list_audit_events(windowed, "churn")[-1]
    assert (archived.action, archived.version, archived.from_value, archived.to_value) == (
        "archive", 1, "Standby", "Archived")
    assert (archived.actor, archived.actor_verified, archived.actor_id, archived.actor_method) == (
        "cairn-system", True, "system", "system")
    assert archived.details["cause"] == "stability_window"
    assert registry.get_model_version(windowed, "churn", 1).artifacts_retained_until is not None


def test_the_timeline_shows_the_standby_interval_and_reading_it_sweeps(windowed, clock, alice):
    registry.promote(windowed, "churn", 2, "Production", alice)
    started = clock.now
    open_standby = [i for i in registry.get_timeline(windowed, "churn") if i.kind == "standby"]
    assert [(i.version, i.start, i.end) for i in open_standby] == [(1, started, None)]
    clock.advance(WINDOW_MS + 5)
    closed = [i for i in registry.get_timeline(windowed, "churn") if i.kind == "standby"]
    assert [(i.version, i.start, i.end) for i in closed] == [(1, started, started + WINDOW_MS + 5)]
    production = [(i.version, i.end) for i in registry.get_timeline(windowed, "churn") if i.kind == "stage"]
    assert production == [(1, started), (2, None)]


def test_a_rollback_inside_the_window_brings_the_standby_version_back(windowed, clock, alice, bob):
    registry.promote(windowed, "churn", 2, "Production", alice)
    clock.advance(500)
    outcome = registry.rollback(windowed, "churn", bob, reason="v2 misbehaves")
    assert outcome.model_version.version == 1 and outcome.archived_versions == (2,)
    assert (_stage(windowed, 1), _stage(windowed, 2)) == ("Production", "Archived")
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(windowed) == []
    assert _stage(windowed, 1) == "Production"
    assert not [e for e in registry.list_audit_events(windowed, "churn") if e.actor == "cairn-system"]


def test_a_gate_breach_holds_the_standby_version(windowed, clock, alice):
    registry.promote(windowed, "churn", 2, "Production", alice)
    with pytest.raises(Conflict, match="not in Production"):
        standby.record_gate_breach(windowed, "churn", 1, alice, "canary p99 doubled")
    standby.record_gate_breach(windowed, "churn", 2, alice, "canary p99 doubled")
    clock.advance(WINDOW_MS)
    assert standby.sweep_standby(windowed) == []
    assert _stage(windowed, 1) == "Standby"
    held = registry.list_audit_events(windowed, "churn")[-1]
    assert (held.action, held.version, held.actor) == ("standby_held", 1, "cairn-system")
    clock.advance(10 * WINDOW_MS)
    assert standby.sweep_standby(windowed) == []  # held: waits for a rollback or a person
    assert registry.rollback(windowed, "churn", alice, reason="breach").model_version.version == 1


def test_a_second_promotion_inside_the_window_archives_the_older_standby(windowed, clock, alice):
    registry.promote(windowed, "churn", 2, "Production", alice)
    clock.advance(100)
    outcome = registry.promote(windowed, "churn", 3, "Production", alice)
    assert outcome.archived_versions == (1,)
    assert [_stage(windowed, v) for v in (1, 2, 3)] == ["Archived", "Standby", "Production"]


def test_without_a_window_promotion_archives_at_once(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    assert registry.promote(db, "churn", 2, "Production", alice).archived_versions == (1,)
    assert _stage(db, 1) == "Archived"


def test_concurrent_sweeps_archive_once(windowed, clock, alice):
    registry.promote(windowed, "churn", 2, "Production", alice)
    clock.advance(WINDOW_MS)
    results: list[list[tuple[str, int]]] = []
    threads = [threading.Thread(target=lambda: results.append(standby.sweep_standby(windowed))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r for found in results for r in found) == [("churn", 1)]
    archives = [e for e in registry.list_audit_events(windowed, "churn") if e.actor == "cairn-system"]
    assert len(archives) == 1
