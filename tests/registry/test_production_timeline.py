"""The production timeline, derived from the audit trail, and "what served at T"."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.errors import InvalidParameter


@pytest.fixture
def history(db, make_versions, alice, bob, clock):
    """v1 ships at t1, v2 replaces it at t2, a rollback puts v1 back at t3."""
    make_versions(2)
    t1 = clock.advance(1_000)
    registry.promote(db, "churn", 1, "Production", alice, reason="first")
    t2 = clock.advance(60_000)
    registry.promote(db, "churn", 2, "Production", alice, reason="second")
    t3 = clock.advance(3_600_000)
    registry.rollback(db, "churn", bob, reason="regression")
    return t1, t2, t3


def test_intervals_follow_promotions_and_rollbacks(db, history):
    t1, t2, t3 = history
    intervals = registry.get_timeline(db, "churn")
    assert [(i.version, i.start, i.end, i.started_by, i.start_reason, i.ended_by) for i in intervals] == [
        (1, t1, t2, "alice", "first", "alice"),
        (2, t2, t3, "alice", "second", "bob"),
        (1, t3, None, "bob", "regression", None),
    ]


@pytest.mark.parametrize("offset, expected", [(-1, None), (0, 1), (59_999, 1), (60_000, 2), (3_659_999, 2),
                                               (3_660_000, 1), (10**9, 1)])
def test_production_version_at_answers_for_any_instant(db, history, offset, expected):
    t1 = history[0]
    found = registry.production_version_at(db, "churn", t1 + offset)
    assert (found.version if found else None) == expected


def test_alias_intervals_follow_alias_moves(db, make_versions, alice, clock):
    make_versions(2)
    t1 = clock.advance(5)
    registry.set_alias(db, "churn", "champion", 1, alice)
    t2 = clock.advance(5)
    registry.set_alias(db, "churn", "champion", 2, alice)
    t3 = clock.advance(5)
    registry.delete_alias(db, "churn", "champion", alice)
    aliases = [i for i in registry.get_timeline(db, "churn") if i.kind == "alias"]
    assert [(i.label, i.version, i.start, i.end) for i in aliases] == [("champion", 1, t1, t2),
                                                                     ("champion", 2, t2, t3)]
    assert [i.version for i in registry.aliases_at(db, "churn", t2)] == [2]
    assert registry.aliases_at(db, "churn", t3) == []


def test_deleting_the_production_version_ends_its_interval(db, make_versions, alice, clock):
    make_versions(1)
    registry.promote(db, "churn", 1, "Production", alice)
    end = clock.advance(100)
    registry.delete_model_version(db, "churn", 1, alice)
    (interval,) = registry.get_timeline(db, "churn")
    assert interval.end == end
    assert registry.production_version_at(db, "churn", end) is None


def test_timeline_survives_a_rename(db, history, alice):
    registry.rename_registered_model(db, "churn", "churn-2024", alice)
    assert [i.version for i in registry.get_timeline(db, "churn-2024")] == [1, 2, 1]


def test_time_must_be_an_integer(db, history):
    with pytest.raises(InvalidParameter):
        registry.production_version_at(db, "churn", "yesterday")  # type: ignore[arg-type]
