"""Embedded-store benchmark: SDK log_metric cost, ingest, search and history on SQLite.

    python benchmarks/bench_core.py [--scale small]

Prints one table (target beside each figure). Uses a fresh store in a temp folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ["CAIRN_CAPTURE"] = "none"

from cairn.entities import Metric, Param  # noqa: E402
from cairn.store.database import open_database  # noqa: E402
from cairn.tracking import metrics_history, run_data, runs  # noqa: E402


def bench_log_metric_call(calls: int) -> tuple[float, float]:
    import cairn

    with tempfile.TemporaryDirectory() as tmp:
        cairn.set_tracking_uri(Path(tmp) / "store")
        with cairn.start_run(capture=False):
            clock = time.perf_counter_ns
            samples = []
            log = cairn.log_metric
            for i in range(calls):
                t0 = clock()
                log("loss", 0.5, step=i)
                samples.append(clock() - t0)
        cairn.set_tracking_uri(None)
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


def bench_ingest(db, points: int) -> float:  # type: ignore[no-untyped-def]
    run_id = runs.create_run(db, "0").run_id
    now = int(time.time() * 1000)
    batches = [
        [Metric(f"m{(start + j) % 10}", random.random(), now, (start + j) // 10) for j in range(1000)]
        for start in range(0, points, 1000)
    ]
    t0 = time.perf_counter()
    for batch in batches:
        run_data.log_batch(db, run_id, metrics=batch)
    return points / (time.perf_counter() - t0)


def bench_search(db, n_runs: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    rng = random.Random(0)
    for i in range(n_runs):
        run_id = runs.create_run(db, "0", start_time=1_000_000 + i).run_id
        run_data.log_batch(
            db, run_id,
            metrics=[Metric(f"m{k}", rng.random(), 1, 0) for k in range(5)],
            params=[Param(f"p{k}", rng.choice("xyz")) for k in range(5)],
        )
    query = dict(filter_string="metrics.m0 > 0.5 and params.p0 = 'x'", order_by=["metrics.m1 DESC"], max_results=100)
    runs.search_runs(db, ["0"], **query)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        found = runs.search_runs(db, ["0"], **query)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, len(found.items)


def bench_history(db, points: int) -> float:  # type: ignore[no-untyped-def]
    run_id = runs.create_run(db, "0").run_id
    for start in range(0, points, 1000):
        run_data.log_batch(db, run_id, metrics=[Metric("h", float(s), s, s) for s in range(start, start + 1000)])
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        got = metrics_history.get_metric_history(db, run_id, "h").items
        times.append(time.perf_counter() - t0)
    assert len(got) == points
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    args = parser.parse_args()
    full = args.scale == "full"
    n_points, n_runs, n_hist, n_calls = (1_000_000, 10_000, 100_000, 200_000) if full else (100_000, 1_000, 20_000, 50_000)
    rows = []
    p50, p99 = bench_log_metric_call(n_calls)
    rows.append(("SDK log_metric, caller's thread (p50 / p99)", f"{p50:.2f} / {p99:.2f} µs", "<= 5 µs p50"))
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{tmp}/ingest.db")
        rate = bench_ingest(db, n_points)
        rows.append((f"embedded ingest, {n_points:,} points (log-batch 1000)", f"{rate:,.0f} points/s", ">= 200,000/s"))
        db.close()
        db = open_database(f"sqlite:///{tmp}/search.db")
        ms, hits = bench_search(db, n_runs)
        rows.append((f"search {n_runs:,} runs: metric+param filter, metric order", f"{ms:.1f} ms ({hits} hits)", "<= 20 ms"))
        ms = bench_history(db, n_hist)
        rows.append((f"get-history of {n_hist:,} points", f"{ms:.0f} ms", "<= 200 ms"))
        db.close()
    print(f"Cairn embedded benchmark — {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>24}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>24}  {target}")


if __name__ == "__main__":
    main()
