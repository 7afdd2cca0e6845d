"""Aliases and the ways of naming a version."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.errors import NotFound


def test_alias_moves_atomically_and_each_move_is_audited(db, make_versions, alice):
    make_versions(2)
    registry.set_alias(db, "churn", "champion", 1, alice, reason="first")
    moved = registry.set_alias(db, "churn", "champion", 2, alice, reason="better")
    assert moved.aliases == ["champion"]
    assert registry.get_model_version(db, "churn", 1).aliases == []
    assert registry.get_version_by_alias(db, "churn", "champion").version == 2
    moves = [(e.alias, e.from_value, e.to_value, e.reason) for e in registry.list_audit_events(db, "churn")
             if e.action == "alias_set"]
    assert moves == [("champion", None, "1", "first"), ("champion", "1", "2", "better")]


def test_setting_an_alias_where_it_already_points_records_nothing(db, make_versions, alice):
    make_versions(1)
    registry.set_alias(db, "churn", "champion", 1, alice)
    before = registry.list_audit_events(db, "churn")
    registry.set_alias(db, "churn", "champion", 1, alice)
    assert registry.list_audit_events(db, "churn") == before


@pytest.mark.parametrize("ref, expected", [
    ("churn@champion", 2), ("churn/1", 1), ("churn/Production", 3), ("churn/staging", 2), ("churn/latest", 4),
    ("churn", 3), ("models:/churn/1", 1), ("models:/churn@champion", 2),
])
def test_a_version_can_be_named_by_alias_number_stage_or_latest(db, make_versions, alice, ref, expected):
    make_versions(4)
    registry.promote(db, "churn", 2, "Staging", alice)
    registry.promote(db, "churn", 3, "Production", alice)
    registry.set_alias(db, "churn", "champion", 2, alice)
    assert registry.resolve_model_ref(db, ref).version == expected


def test_bare_name_without_production_means_the_newest_version(db, make_versions):
    make_versions(2)
    assert registry.resolve_model_ref(db, "churn").version == 2


@pytest.mark.parametrize("ref", ["churn/Archived", "churn@ghost", "nope", "churn/9"])
def test_a_ref_naming_nothing_is_not_found(db, make_versions, ref):
    make_versions(1)
    with pytest.raises(NotFound):
        registry.resolve_model_ref(db, ref)
