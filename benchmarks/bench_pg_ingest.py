"""How to write metric points to PostgreSQL: the candidates for ``store.dialect.insert_points``.

    python benchmarks/bench_pg_ingest.py [--url postgresql://...] [--repeat 7]

Without ``--url`` it starts a throwaway cluster from Debian's ``postgresql`` package (as the test
suite does; ``apt-get install -y postgresql``). For each batch size it times, on the ``metrics``
table of a freshly migrated store, one transaction per batch with:

* ``executemany``: ``INSERT ... ON CONFLICT DO NOTHING`` per row, which psycopg 3 sends in
  pipeline mode (one round trip for the batch);
* ``values``: one multi-row ``INSERT ... VALUES (...), (...) ... ON CONFLICT DO NOTHING``;
* ``unnest``: one ``INSERT ... SELECT * FROM unnest(array, ...)`` with a column per array;
* ``copy``: binary ``COPY`` straight into the table, in a savepoint (what the store does);
* ``copy_via_temp``: binary ``COPY`` into a temporary table, then ``INSERT ... SELECT ... ON
  CONFLICT DO NOTHING``;

and the whole ``log_batch`` (latest values, series ids and the points) as the store runs it, for
the sizes a batch may have (MLflow's limit: ``MAX_METRICS_PER_BATCH`` points).
Prints median milliseconds and points per second; the fastest per size is marked.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cairn.entities import Metric  # noqa: E402
from cairn.store.database import open_database  # noqa: E402
from cairn.tracking import run_data, runs  # noqa: E402
from cairn.tracking.validation import MAX_METRICS_PER_BATCH  # noqa: E402

SIZES = (1, 10, 100, 1_000, 10_000)
COLUMNS = "series_id, step, timestamp, value, is_nan"
TYPES = ["int4", "int8", "int8", "float8", "bool"]
Row = tuple[int, int, int, float, bool]


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.servers import postgres

    cluster = postgres.start_cluster()
    try:
        with cluster.connect() as conn:
            conn.execute("CREATE DATABASE bench")
        yield cluster.url("bench")
    finally:
        cluster.stop()


def executemany(cur: Any, rows: list[Row]) -> None:
    cur.executemany(f"INSERT INTO metrics ({COLUMNS}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)


def values(cur: Any, rows: list[Row]) -> None:
    holes = ",".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    cur.execute(f"INSERT INTO metrics ({COLUMNS}) VALUES {holes} ON CONFLICT DO NOTHING",
                [v for row in rows for v in row])


def unnest(cur: Any, rows: list[Row]) -> None:
    cur.execute(f"INSERT INTO metrics ({COLUMNS}) SELECT * FROM unnest(%s::int4[], %s::int8[], %s::int8[], "
                "%s::float8[], %s::bool[]) ON CONFLICT DO NOTHING", [list(c) for c in zip(*rows)])


def copy(cur: Any, rows: list[Row]) -> None:
    cur.execute("SAVEPOINT points")
    with cur.copy(f"COPY metrics ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as sink:
        sink.set_types(TYPES)
        for row in rows:
            sink.write_row(row)
    cur.execute("RELEASE SAVEPOINT points")


def copy_via_temp(cur: Any, rows: list[Row]) -> None:
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS points_in (LIKE metrics) ON COMMIT DELETE ROWS")
    with cur.copy(f"COPY points_in ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as sink:
        sink.set_types(TYPES)
        for row in rows:
            sink.write_row(row)
    cur.execute(f"INSERT INTO metrics ({COLUMNS}) SELECT {COLUMNS} FROM points_in ON CONFLICT DO NOTHING")


METHODS: dict[str, Callable[[Any, list[Row]], None]] = {
    "executemany": executemany, "values": values, "unnest": unnest, "copy": copy, "copy_via_temp": copy_via_temp,
}


def time_method(pg: Any, method: Callable[[Any, list[Row]], None], size: int, repeat: int, series: int) -> float:
    samples = []
    for attempt in range(repeat):
        rows = [(series, attempt * size + i, 1_700_000_000_000 + i, random.random(), False) for i in range(size)]
        start = time.perf_counter()
        with pg.cursor() as cur:
            method(cur, rows)
        pg.commit()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def time_log_batch(db: Any, size: int, repeat: int) -> float:
    run_id = runs.create_run(db, "0").run_id
    samples = []
    for attempt in range(repeat):
        points = [Metric(f"m{i % 10}", random.random(), 1_700_000_000_000 + i, attempt * size + i)
                  for i in range(size)]
        start = time.perf_counter()
        run_data.log_batch(db, run_id, metrics=points)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a throwaway cluster)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with database(args.url) as url:
        db = open_database(url)
        raw = db.engine.raw_connection()
        pg = raw.driver_connection
        print(f"{'points':>7} {'method':<14} {'median ms':>10} {'points/s':>12}")
        try:
            for size in SIZES:
                found = {name: time_method(pg, method, size, args.repeat, series)
                         for series, (name, method) in enumerate(METHODS.items(), start=1)}
                if size <= MAX_METRICS_PER_BATCH:
                    found["log_batch (store)"] = time_log_batch(db, size, args.repeat)
                best = min((t, name) for name, t in found.items() if name in METHODS)[1]
                for name, seconds in found.items():
                    mark = "  <- fastest" if name == best else ""
                    print(f"{size:>7} {name:<14} {seconds * 1000:>10.2f} {size / seconds:>12,.0f}{mark}")
        finally:
            raw.close()
            db.close()


if __name__ == "__main__":
    main()
