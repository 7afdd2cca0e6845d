"""Stage transitions: one Production version at a time, archiving, MLflow compatibility."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cairn import registry
from cairn.entities import Policy
from cairn.errors import InvalidParameter
from cairn.registry.transitions import DAY_MS

THREADS = 8


def _stages(db, name="churn"):
    return {v.version: v.current_stage for v in registry.search_model_versions(db, name=name).items}


def test_promoting_to_production_archives_the_previous_production_version(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    outcome = registry.promote(db, "churn", 2, "Production", alice, reason="better AUC")
    assert outcome.archived_versions == (1,)
    assert _stages(db) == {1: "Archived", 2: "Production"}
    archive, promote = registry.list_audit_events(db, "churn")[-2:]
    assert (archive.action, archive.version, archive.from_value, archive.to_value) == \
        ("archive", 1, "Production", "Archived")
    assert (promote.action, promote.version, promote.to_value, promote.reason) == \
        ("promote", 2, "Production", "better AUC")
    assert archive.timestamp == promote.timestamp


def test_archive_existing_versions_false_still_archives_production(db, make_versions, alice):
    # A deliberate difference from MLflow, which would leave two Production versions here.
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice, archive_existing_versions=False)
    registry.promote(db, "churn", 2, "Production", alice, archive_existing_versions=False)
    assert _stages(db) == {1: "Archived", 2: "Production"}


def test_archive_existing_versions_archives_other_staging_versions(db, make_versions, alice):
    make_versions(3)
    registry.promote(db, "churn", 1, "Staging", alice)
    registry.promote(db, "churn", 2, "Staging", alice)
    assert _stages(db) == {1: "Staging", 2: "Staging", 3: "None"}
    registry.promote(db, "churn", 3, "Staging", alice, archive_existing_versions=True)
    assert _stages(db) == {1: "Archived", 2: "Archived", 3: "Staging"}


def test_concurrent_promotions_leave_exactly_one_production_version(db, make_versions, alice):
    versions = make_versions(THREADS)
    start = threading.Barrier(THREADS)

    def promote(version: int):
        start.wait()
        return registry.promote(db, "churn", version, "Production", alice)

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(promote, versions))
    stages = _stages(db)
    assert sorted(stages.values()) == ["Archived"] * (THREADS - 1) + ["Production"]
    assert sum(len(o.archived_versions) for o in outcomes) == THREADS - 1
    events = registry.list_audit_events(db, "churn")
    assert [e.action for e in events].count("promote") == THREADS
    assert [e.action for e in events].count("archive") == THREADS - 1
    intervals = registry.get_timeline(db, "churn", include_aliases=False)
    assert len(intervals) == THREADS
    for earlier, later in zip(intervals, intervals[1:]):
        assert earlier.end == later.start  # back to back, never overlapping
    assert intervals[-1].end is None and stages[intervals[-1].version] == "Production"


def test_database_refuses_a_second_production_version(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    with pytest.raises(InvalidParameter), db.write() as conn:
        conn.exec_driver_sql("UPDATE model_versions SET current_stage = 'Production' WHERE version = 2")
    assert _stages(db) == {1: "Production", 2: "None"}


def test_default_policy_allows_none_to_production_and_marks_it_skipped_staging(db, make_versions, alice):
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 2, "Staging", alice)
    registry.promote(db, "churn", 2, "Production", alice)
    promotions = [e for e in registry.list_audit_events(db, "churn") if e.action == "promote"]
    assert [(e.version, e.to_value, e.details.get("skipped_staging", False)) for e in promotions] == [
        (1, "Production", True), (2, "Staging", False), (2, "Production", False)]


def test_stage_names_are_case_insensitive(db, make_versions, alice):
    make_versions(1)
    assert registry.promote(db, "churn", 1, "sTaGiNg", alice).model_version.current_stage == "Staging"


def test_promoting_to_the_current_stage_changes_nothing(db, make_versions, alice):
    make_versions(1)
    registry.promote(db, "churn", 1, "Staging", alice)
    before = registry.list_audit_events(db, "churn")
    outcome = registry.promote(db, "churn", 1, "Staging", alice)
    assert outcome.applied and registry.list_audit_events(db, "churn") == before


def test_archived_version_keeps_its_artifacts_for_the_retention_period(db, make_versions, alice, clock):
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    clock.advance(1000)
    registry.promote(db, "churn", 2, "Production", alice)
    assert registry.get_model_version(db, "churn", 1).artifacts_retained_until == clock.now + 30 * DAY_MS
    registry.set_policy(db, "churn", Policy(retention_days=7), alice)
    registry.promote(db, "churn", 2, "Archived", alice)
    assert registry.get_model_version(db, "churn", 2).artifacts_retained_until == clock.now + 7 * DAY_MS
    registry.promote(db, "churn", 2, "Staging", alice)
    assert registry.get_model_version(db, "churn", 2).artifacts_retained_until is None
