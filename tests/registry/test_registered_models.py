"""Registered models: create, rename, describe, tag, search, delete."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.errors import AlreadyExists, NotFound


def test_creating_a_taken_name_is_already_exists(db, alice):
    registry.create_registered_model(db, "churn", alice, description="weekly churn", tags={"team": "growth"})
    with pytest.raises(AlreadyExists) as caught:
        registry.create_registered_model(db, "churn", alice)
    assert caught.value.http_status == 400  # MLflow's status for RESOURCE_ALREADY_EXISTS
    model = registry.get_registered_model(db, "churn")
    assert (model.description, model.tags) == ("weekly churn", {"team": "growth"})


def test_rename_keeps_versions_aliases_and_audit_trail(db, make_versions, alice):
    make_versions(2)
    registry.set_alias(db, "churn", "champion", 2, alice)
    registry.rename_registered_model(db, "churn", "churn-v2", alice)
    model = registry.get_registered_model(db, "churn-v2")
    assert model.aliases == {"champion": 2}
    assert [v.version for v in registry.search_model_versions(db, name="churn-v2").items] == [1, 2]
    assert [e.action for e in registry.list_audit_events(db, "churn-v2")][-1] == "model_renamed"
    with pytest.raises(NotFound):
        registry.get_registered_model(db, "churn")


def test_rename_to_a_taken_name_is_refused(db, make_versions, alice):
    make_versions(1, "churn")
    make_versions(1, "fraud")
    with pytest.raises(AlreadyExists):
        registry.rename_registered_model(db, "churn", "fraud", alice)


def test_latest_versions_gives_the_newest_per_stage(db, make_versions, alice):
    make_versions(4)
    registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 2, "Staging", alice)
    latest = registry.get_registered_model(db, "churn").latest_versions
    assert [(v.current_stage, v.version) for v in latest] == [("None", 4), ("Staging", 2), ("Production", 1)]
    assert [v.version for v in registry.get_latest_versions(db, "churn", ["production"])] == [1]


def test_search_pages_through_models_by_name(db, make_versions):
    for name in ("b-model", "a-model", "c-other"):
        make_versions(1, name)
    page = registry.search_registered_models(db, max_results=2)
    rest = registry.search_registered_models(db, max_results=2, page_token=page.next_page_token)
    assert [m.name for m in page.items + rest.items] == ["a-model", "b-model", "c-other"]
    assert [m.name for m in registry.search_registered_models(db, name_like="%model").items] == ["a-model", "b-model"]


def test_deleted_model_keeps_its_audit_trail_readable_by_name(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 2, "Production", alice)
    registry.delete_registered_model(db, "churn", alice, reason="retired")
    with pytest.raises(NotFound):
        registry.get_registered_model(db, "churn")
    events = registry.list_audit_events(db, "churn")
    assert events[-1].action == "model_deleted"
    assert events[-1].details == {"versions": {"1": "None", "2": "Production"}}
    (interval,) = registry.get_timeline(db, "churn")
    assert interval.end == events[-1].timestamp


def test_model_tags_are_set_and_deleted(db, make_versions, alice):
    make_versions(1)
    registry.set_registered_model_tag(db, "churn", "owner", "growth", alice)
    assert registry.get_registered_model(db, "churn").tags == {"owner": "growth"}
    registry.delete_registered_model_tag(db, "churn", "owner", alice)
    assert registry.get_registered_model(db, "churn").tags == {}
    with pytest.raises(NotFound):
        registry.delete_registered_model_tag(db, "churn", "owner", alice)
