"""Registry search orders as MLflow has them: versions newest first, then name ASC and version DESC
as tie-breaks; models by name; order_by honoured with the same tie-breaks."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.errors import InvalidParameter
from cairn.registry.search import search_model_versions_by_filter, search_registered_models_by_filter


def _versions(db, order_by=(), filter_string=None, max_results=100):
    page = search_model_versions_by_filter(db, filter_string, list(order_by), max_results, None)
    return [(v.name, v.version) for v in page.items]


def _models(db, order_by=(), filter_string=None):
    page = search_registered_models_by_filter(db, filter_string, list(order_by), 100, None)
    return [m.name for m in page.items]


@pytest.fixture
def versions(db, clock, make_versions, alice):
    """churn 1, 2 and fraud 1, 2 registered one second apart; churn 1 edited last."""
    for name in ("churn", "fraud"):
        for _ in range(2):
            clock.advance(1000)
            make_versions(1, name)
    clock.advance(1000)
    registry.update_model_version(db, "churn", 1, "retrained", alice)


def test_versions_come_newest_first_by_default(db, versions):
    assert _versions(db) == [("churn", 1), ("fraud", 2), ("fraud", 1), ("churn", 2)]
    assert _versions(db, filter_string="name = 'fraud'") == [("fraud", 2), ("fraud", 1)]
    assert _versions(db, filter_string="name LIKE 'fr%'") == [("fraud", 2), ("fraud", 1)]


def test_versions_with_equal_times_fall_back_to_name_then_newest_version(db, clock, make_versions):
    make_versions(2, "fraud")
    make_versions(2, "churn")
    assert _versions(db) == [("churn", 2), ("churn", 1), ("fraud", 2), ("fraud", 1)]


@pytest.mark.parametrize(("order_by", "expected"), [
    (["name DESC"], [("fraud", 2), ("fraud", 1), ("churn", 2), ("churn", 1)]),
    (["name"], [("churn", 2), ("churn", 1), ("fraud", 2), ("fraud", 1)]),
    (["version_number ASC"], [("churn", 1), ("fraud", 1), ("churn", 2), ("fraud", 2)]),
    (["creation_timestamp ASC"], [("churn", 1), ("churn", 2), ("fraud", 1), ("fraud", 2)]),
    (["last_updated_timestamp ASC", "name DESC"], [("churn", 2), ("fraud", 1), ("fraud", 2), ("churn", 1)]),
])
def test_version_order_by_is_honoured_with_mlflows_tie_breaks(db, versions, order_by, expected):
    assert _versions(db, order_by) == expected
    assert _versions(db, order_by, filter_string="version_number > 0") == expected  # matched in memory


def test_version_pages_follow_the_order(db, versions):
    first = search_model_versions_by_filter(db, None, [], 3, None)
    rest = search_model_versions_by_filter(db, None, [], 3, first.next_page_token)
    assert [(v.name, v.version) for v in first.items + rest.items] == _versions(db)


@pytest.mark.parametrize("order_by", [["name ASC", "name DESC"], ["timestamp", "last_updated_timestamp DESC"],
                                      ["source_path"], ["name SIDEWAYS"]])
def test_bad_or_repeated_version_order_by_is_refused(db, versions, order_by):
    with pytest.raises(InvalidParameter, match="order_by"):
        _versions(db, order_by)


def test_models_come_by_name_and_order_by_breaks_ties_by_name(db, clock, make_versions, alice):
    for name in ("fraud", "churn", "spam"):
        registry.create_registered_model(db, name, alice)
    clock.advance(1000)
    registry.set_registered_model_tag(db, "fraud", "team", "risk", alice)
    assert _models(db) == ["churn", "fraud", "spam"]
    assert _models(db, ["name DESC"]) == ["spam", "fraud", "churn"]
    assert _models(db, ["creation_timestamp DESC"]) == ["churn", "fraud", "spam"]
    with pytest.raises(InvalidParameter, match="order_by names last_updated_timestamp more than once"):
        _models(db, ["timestamp DESC", "last_updated_timestamp"])


def test_deleting_a_version_touches_its_model(db, clock, make_versions, alice):
    make_versions(2)
    deleted_at = clock.advance(5000)
    registry.delete_model_version(db, "churn", 2, alice)
    assert registry.get_registered_model(db, "churn").last_updated_timestamp == deleted_at
    assert _models(db, ["last_updated_timestamp DESC"])[0] == "churn"
