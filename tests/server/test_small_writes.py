"""A small write to a free SQLite writer runs on the event loop; a large one, one arriving while
another write holds the writer, and every PostgreSQL write run in the thread pool. The answers are
the same either way."""

from __future__ import annotations

import asyncio
import threading

from cairn.entities import Metric
from cairn.server import small_writes
from cairn.store.database import Database
from cairn.tracking import experiments, run_data, runs


def _thread_of_write(db: Database, run_id: str, items: int) -> int:
    """1 if ``items`` points went in on the event loop's thread, 0 if on another; either way the
    write took effect."""
    seen: list[int] = []
    first = runs.get_run(db, run_id).data.metrics["loss"].step + 1 if _has_loss(db, run_id) else 0

    def log() -> None:
        seen.append(threading.get_ident())
        run_data.log_batch(db, run_id, [Metric("loss", 0.5, 1, first + n) for n in range(items)])

    async def main() -> int:
        await small_writes.write(db, items, log)
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert runs.get_run(db, run_id).data.metrics["loss"].step == first + items - 1
    return 1 if seen[0] == loop_thread else 0


def _has_loss(db: Database, run_id: str) -> bool:
    return "loss" in runs.get_run(db, run_id).data.metrics


def test_where_a_write_runs_depends_on_its_size_the_store_and_the_writer(db: Database) -> None:
    run_id = runs.create_run(db, experiments.create_experiment(db, "e")).info.run_id
    small, large = small_writes.SMALL_WRITE_ITEMS, small_writes.SMALL_WRITE_ITEMS + 1
    on_loop = _thread_of_write(db, run_id, small)
    if db.is_sqlite:
        assert on_loop == 1
        assert _thread_of_write(db, run_id, large) == 0
        lock = db._write_lock
        assert lock is not None
        holder_has_it, release = threading.Event(), threading.Event()

        def hold() -> None:
            with lock:
                holder_has_it.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        holder_has_it.wait(10)
        try:
            assert not db.writer_is_free()
            done: list[int] = []
            waiter = threading.Thread(target=lambda: done.append(_thread_of_write(db, run_id, 1)))
            waiter.start()
            waiter.join(0.5)
            assert not done  # queued behind the holder, in the pool, not on its loop
        finally:
            release.set()
            holder.join(10)
        waiter.join(10)
        assert done == [0]
    else:
        assert on_loop == 0 and not db.writer_is_free()
