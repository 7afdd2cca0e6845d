"""The runs table's queries use indexes: SQLite's plan for each never scans a whole table.

The SQL a query runs is caught as it is sent, then asked for its plan (``EXPLAIN QUERY PLAN``): a
``SCAN`` of runs, params, tags or metrics would read every row of the store, not of one experiment
(a scan of a subquery's few rows, such as the groups being counted, is fine).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from cairn.store import run_table
from cairn.store.search_grammar import parse_filter, parse_order_by
from cairn.tracking import experiments, runs

pytestmark = pytest.mark.sqlite_only(
    reason="reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by statistics, so on a one-run store it "
    "rightly scans; its plans at 10,000 runs are exercised by tests/ui/test_runs_grid.py"
)

PARENT = "mlflow.parentRunId"
TABLE_SCAN = re.compile(r"^SCAN (runs|params|tags|latest_metrics|metrics)\b")


@contextmanager
def caught_sql(db) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def plan_of(db, call: Callable[[Any], object]) -> list[str]:
    with db.read() as conn, caught_sql(db) as sent:
        call(conn)
    assert sent
    lines: list[str] = []
    with db.read() as conn:
        for statement, parameters in sent:
            lines += [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    return lines


@pytest.fixture
def scope(db) -> run_table.Scope:
    experiment_id = experiments.create_experiment(db, "plans")
    runs.create_run(db, experiment_id)
    return run_table.Scope([int(experiment_id)], parse_filter("params.opt = 'adam' OR metrics.acc > 0.5"))


@pytest.mark.parametrize("order", [None, "metrics.`acc` DESC", "params.`lr` ASC", "tags.`team` DESC",
                                   "attributes.run_name ASC"])
def test_a_sorted_nested_page_searches_indexes_only(db, scope, order):
    keys = parse_order_by([order] if order else None)
    plan = plan_of(db, lambda conn: run_table.page_run_ids(conn, scope, keys, 100, 5000, PARENT))
    assert not [line for line in plan if TABLE_SCAN.match(line)], plan
    assert any("ix_runs_experiment_start" in line for line in plan), plan


@pytest.mark.parametrize("call", [
    lambda conn, scope: run_table.count_runs(conn, scope, PARENT),
    lambda conn, scope: run_table.child_counts(conn, scope, PARENT, ["a" * 32, "b" * 32]),
    lambda conn, scope: run_table.group_rows(conn, scope, "param", "opt", ["acc", "loss"], 0, False, 100, 0),
    lambda conn, scope: run_table.count_groups(conn, scope, "tag", "team"),
    lambda conn, scope: run_table.experiment_keys(conn, scope.experiment_ids[0], "metric", 100),
    lambda conn, scope: run_table.has_nested_runs(conn, scope.experiment_ids, PARENT),
])  # fmt: skip
def test_counts_groups_and_keys_search_indexes_only(db, scope, call):
    plan = plan_of(db, lambda conn: call(conn, scope))
    assert not [line for line in plan if TABLE_SCAN.match(line)], plan  # a grouped subquery may be scanned
