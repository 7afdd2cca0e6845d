"""The number of SQL statements a hot call sends does not grow with the store.

A log-batch, a run creation, a page of run search and a metric history each send a fixed number
of statements whatever the number of runs in the store (counted as they reach the driver, with an
event listener on the engine). A query per run (an N+1 pattern) would show up here as a count that
grows from the small store to the large one; timings would not say so reliably on a shared machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from cairn.entities import Metric, Param, RunTag, ViewType
from cairn.store.database import Database
from cairn.tracking import experiments, metrics_history, run_data, runs

SMALL, LARGE = 100, 2000
PAGE = 10  # fewer than the runs that pass the filter at either size: one index walk per page


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    sent: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def grow(db: Database, experiment_id: str, count: int, start: int = 0) -> list[str]:
    """``count`` runs, each with two params, a tag and two metrics (one point each)."""
    ids = []
    for i in range(start, start + count):
        run_id = runs.create_run(db, experiment_id, run_name=f"r{i:05d}", start_time=1_000 + i).info.run_id
        run_data.log_batch(
            db, run_id,
            metrics=[Metric("loss", (i * 7919 % 1000) / 1000, 1, 0), Metric("acc", i / 10_000, 1, 0)],
            params=[Param("lr", str(i % 3)), Param("layers", str(i % 5))],
            tags=[RunTag("team", "a" if i % 2 else "b")],
        )  # fmt: skip
        ids.append(run_id)
    return ids


def statements(db: Database, call: Callable[[], object]) -> int:
    with counted(db) as sent:
        call()
    return len(sent)


def measure(db: Database, experiment_id: str, run_id: str, first_step: int) -> dict[str, int]:
    # New points each time: re-sending stored points takes another path on PostgreSQL.
    points = [Metric("loss", s / 1000, 2_000 + s, s) for s in range(first_step, first_step + 1000)]
    return {
        "create-run": statements(db, lambda: runs.create_run(db, experiment_id, run_name="probe", start_time=5)),
        "log-batch of 1000 points": statements(db, lambda: run_data.log_batch(db, run_id, metrics=points)),
        "log-batch of params + tags": statements(
            db, lambda: run_data.log_batch(db, run_id, params=[Param("new", "1")], tags=[RunTag("t", "v")])
        ),
        "search page, filter + metric order": statements(
            db,
            lambda: runs.search_runs(
                db, [experiment_id], "metrics.loss > 0.2 and params.lr = '1'", ViewType.ACTIVE_ONLY, PAGE,
                ["metrics.acc DESC"],
            ),
        ),
        "search page, unfiltered": statements(db, lambda: runs.search_runs(db, [experiment_id], max_results=PAGE)),
        "history": statements(db, lambda: metrics_history.get_metric_history(db, run_id, "loss")),
    }


@pytest.mark.timeout(600)
def test_statements_per_call_do_not_grow_with_the_store(db: Database) -> None:
    experiment_id = experiments.create_experiment(db, "counts")
    run_id = grow(db, experiment_id, SMALL)[0]
    small = measure(db, experiment_id, run_id, first_step=1)
    grow(db, experiment_id, LARGE - SMALL, start=SMALL)
    large = measure(db, experiment_id, run_id, first_step=1001)

    assert large == small, f"statements per call, {SMALL} runs: {small}; {LARGE} runs: {large}"
    # And the counts are small constants: a log-batch is a handful of statements, a search page
    # one query for the ids and one per table for the page's runs.
    assert small["log-batch of 1000 points"] <= 6, small
    assert small["search page, filter + metric order"] <= 7, small
    assert small["create-run"] <= 4, small
