"""Writers racing on one name or one key get the answers they would get one after the other: one
create wins and the rest hear "already exists", a param keeps its first value. On PostgreSQL the
transactions really overlap (no process-wide writer lock), so a check made before an insert cannot
see a concurrent insert; the unique keys decide."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from cairn import registry
from cairn.auth import throttle, users
from cairn.entities import Actor, Dataset, DatasetInput, Param
from cairn.errors import AlreadyExists, CairnError
from cairn.store import auth_events, schema
from cairn.tracking import experiments, run_data, runs

WRITERS = 8
ROUNDS = 4


def race(call: Callable[[int], Any]) -> Counter[str]:
    """Run ``call(i)`` for every writer at the same moment; count how each ended."""
    start = threading.Barrier(WRITERS)

    def one(index: int) -> str:
        start.wait(timeout=60)
        try:
            call(index)
        except CairnError as exc:
            return type(exc).__name__
        return "ok"

    with ThreadPoolExecutor(WRITERS) as pool:
        return Counter(pool.map(one, range(WRITERS)))


def test_one_of_many_creating_an_experiment_at_once_wins_the_others_hear_already_exists(db):
    for round_ in range(ROUNDS):
        outcomes = race(lambda _: experiments.create_experiment(db, f"sweep-{round_}"))
        assert outcomes == Counter({"ok": 1, AlreadyExists.__name__: WRITERS - 1})


def test_one_of_many_creating_a_model_or_user_at_once_wins(db):
    actor = Actor("alice")
    for round_ in range(ROUNDS):
        made = race(lambda _: registry.create_registered_model(db, f"churn-{round_}", actor))
        assert made == Counter({"ok": 1, AlreadyExists.__name__: WRITERS - 1})
        joined = race(lambda _: users.create_user(db, f"user-{round_}", "a long enough password", actor))
        assert joined == Counter({"ok": 1, AlreadyExists.__name__: WRITERS - 1})


def test_a_param_logged_at_once_by_many_keeps_one_value_and_refuses_the_others(db):
    for round_ in range(ROUNDS):
        run_id = runs.create_run(db, "0").run_id
        same = race(lambda _: run_data.log_batch(db, run_id, params=[Param("seed", "7")]))
        assert same == Counter({"ok": WRITERS})
        different = race(lambda i: run_data.log_batch(db, run_id, params=[Param("lr", str(i))]))
        assert different == Counter({"ok": 1, "InvalidParameter": WRITERS - 1})
        assert runs.get_run(db, run_id).data.params["seed"] == "7"


def test_runs_logging_the_same_dataset_at_once_share_one_record(db):
    run_ids = [runs.create_run(db, "0").run_id for _ in range(WRITERS)]
    data = DatasetInput(Dataset("customers", "d1g3st", "local", "data/customers.csv"),
                        {"mlflow.data.context": "training"})
    assert race(lambda i: run_data.log_inputs(db, run_ids[i], [data])) == Counter({"ok": WRITERS})
    assert all([use.dataset.digest for use in runs.get_run(db, r).inputs] == ["d1g3st"] for r in run_ids)
    with db.read() as tx:
        assert tx.execute(sa.select(sa.func.count()).select_from(schema.datasets)).scalar() == 1


def test_failed_sign_ins_counted_at_once_are_all_counted(db):
    race(lambda _: throttle.count_failure(db, "mallory", "203.0.113.9"))
    with db.read() as tx:
        assert auth_events.failures(tx, "user:mallory@203.0.113.9")[0] == WRITERS
        assert auth_events.failures(tx, "address:203.0.113.9")[0] == WRITERS
