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

from cairn import registry
from cairn.auth import users
from cairn.entities import Actor, Param
from cairn.errors import AlreadyExists, CairnError
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
