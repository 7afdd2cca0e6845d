"""Model versions: numbering, deletion, tags, search (sources are in test_sources.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cairn import registry
from cairn.entities import Actor
from cairn.errors import NotFound
from cairn.store.database import Database

THREADS = 8


def test_versions_are_numbered_from_one_per_model(db, make_versions):
    assert make_versions(3, "churn") == [1, 2, 3]
    assert make_versions(2, "fraud") == [1, 2]


def test_concurrent_registrations_get_gap_free_unique_numbers(db: Database, run_id, alice):
    registry.create_registered_model(db, "churn", alice)
    start = threading.Barrier(THREADS)

    def register_five(_: int) -> list[int]:
        start.wait()
        return [registry.create_model_version(db, "churn", f"runs:/{run_id}/model", alice).version
                for _ in range(5)]

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = [n for batch in pool.map(register_five, range(THREADS)) for n in batch]
    assert sorted(numbers) == list(range(1, THREADS * 5 + 1))
    stored = registry.search_model_versions(db, name="churn", max_results=1000).items
    assert [v.version for v in stored] == list(range(1, THREADS * 5 + 1))


def test_concurrent_first_registrations_create_the_model_once(db: Database, run_id, alice):
    start = threading.Barrier(THREADS)

    def register(_: int) -> int:
        start.wait()
        return registry.register_model(db, f"runs:/{run_id}/model", "fresh", alice).version

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = sorted(pool.map(register, range(THREADS)))
    assert numbers == list(range(1, THREADS + 1))
    created = [e for e in registry.list_audit_events(db, "fresh") if e.action == "model_created"]
    assert len(created) == 1


def test_numbers_are_never_reused_after_a_deletion(db, make_versions, alice):
    make_versions(3)
    registry.delete_model_version(db, "churn", 3, alice, reason="bad build")
    assert make_versions(1) == [4]


def test_deleting_a_version_removes_its_aliases_in_the_audit_trail(db, make_versions, alice):
    make_versions(2)
    registry.set_alias(db, "churn", "champion", 2, alice)
    registry.delete_model_version(db, "churn", 2, alice, reason="leaked data")
    assert registry.get_registered_model(db, "churn").aliases == {}
    actions = [(e.action, e.alias, e.version) for e in registry.list_audit_events(db, "churn")][-2:]
    assert actions == [("alias_deleted", "champion", 2), ("version_deleted", None, 2)]
    with pytest.raises(NotFound):
        registry.get_model_version(db, "churn", 2)


def test_version_tags_and_description_are_stored(db, make_versions, alice):
    make_versions(1)
    registry.set_model_version_tag(db, "churn", 1, "validated_by", "qa", alice)
    registry.update_model_version(db, "churn", "1", "first try", alice)
    version = registry.get_model_version(db, "churn", 1)
    assert (version.tags, version.description) == ({"validated_by": "qa"}, "first try")
    registry.delete_model_version_tag(db, "churn", 1, "validated_by", alice)
    with pytest.raises(NotFound):
        registry.delete_model_version_tag(db, "churn", 1, "validated_by", alice)


def test_search_pages_through_versions_of_a_run(db, make_versions, make_run):
    other_run = make_run()
    make_versions(3)
    make_versions(2, "fraud", source_run=other_run)
    first = registry.search_model_versions(db, run_id=other_run, max_results=1)
    second = registry.search_model_versions(db, run_id=other_run, max_results=1, page_token=first.next_page_token)
    assert [(v.name, v.version) for v in first.items + second.items] == [("fraud", 1), ("fraud", 2)]
    assert second.next_page_token is None


def test_registering_records_the_acting_user(db, run_id):
    version = registry.register_model(db, f"runs:/{run_id}/model", "churn", Actor("carol"))
    assert version.user_id == "carol"
    (created, version_created) = registry.list_audit_events(db, "churn")
    assert (created.actor, created.actor_verified, version_created.details["run_id"]) == ("carol", False, run_id)
