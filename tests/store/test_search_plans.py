"""A page ordered by a metric is read from the order key's index, whatever the page reaches.

With many runs the page walks ``ix_latest_metrics_key_value`` in the asked order and stops when
full (SQLite's plan says so), and pages that cross into NaN and missing values still come out in
MLflow's order: numbers, then NaN, then runs without the metric.
"""

from __future__ import annotations

import math

import pytest
from sqlalchemy import event

from cairn.entities import Metric, ViewType
from cairn.store.database import Database
from cairn.tracking import experiments, run_data, runs


def make_runs(db: Database, values: list[float | None]) -> tuple[str, list[str]]:
    experiment_id = experiments.create_experiment(db, "plans")
    ids = []
    for i, value in enumerate(values):
        run_id = runs.create_run(db, experiment_id, run_name=f"r{i:02d}", start_time=1_000 + i).info.run_id
        metrics = [Metric("other", float(i), 1, 0)]
        if value is not None:
            metrics.append(Metric("loss", value, 1, 0))
        run_data.log_batch(db, run_id, metrics=metrics)
        ids.append(run_id)
    return experiment_id, ids


def page_through(db: Database, experiment_id: str, order: str, size: int, filter_string: str | None = None) -> list[str]:
    found: list[str] = []
    token = None
    while True:
        page = runs.search_runs(db, [experiment_id], filter_string, ViewType.ACTIVE_ONLY, size, [order], token)
        found += [r.info.run_name for r in page.items]
        token = page.next_page_token
        if not token:
            return found


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_pages_cross_from_numbers_to_nan_to_missing_in_mlflow_order(db: Database, size: int) -> None:
    values = [0.5, None, math.nan, 0.1, 0.9, None, 0.5, math.nan, 0.3]
    experiment_id, _ = make_runs(db, values)

    # Ties on the value go to the later start time first, as in the general order.
    assert page_through(db, experiment_id, "metrics.loss DESC", size) == [
        "r04", "r06", "r00", "r08", "r03", "r07", "r02", "r05", "r01"]  # fmt: skip
    assert page_through(db, experiment_id, "metrics.loss ASC", size) == [
        "r03", "r08", "r06", "r00", "r04", "r07", "r02", "r05", "r01"]  # fmt: skip
    assert page_through(db, experiment_id, "metrics.loss DESC", size, "metrics.other >= 4") == [
        "r04", "r06", "r08", "r07", "r05"]  # fmt: skip
    assert page_through(db, experiment_id, "metrics.loss DESC", size, "metrics.other < 3") == ["r00", "r02", "r01"]


def test_a_metric_ordered_page_walks_the_order_key_index(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("the plan is SQLite's; PostgreSQL plans the same join itself")
    experiment_id, _ = make_runs(db, [i / 50 for i in range(50)])
    sent: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        runs.search_runs(db, [experiment_id], "metrics.other > 3", ViewType.ACTIVE_ONLY, 10, ["metrics.loss DESC"])
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    statement, parameters = next(s for s in sent if s[0].lstrip().startswith("SELECT runs.run_id"))
    with db.read() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert plan[0].startswith("SEARCH order_key USING INDEX ix_latest_metrics_key_value"), plan
    assert not any(line.startswith("SCAN runs") or line == "USE TEMP B-TREE FOR ORDER BY" for line in plan), plan
