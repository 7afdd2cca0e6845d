"""The scaling table: how one server's cost per item changes as the store and the load grow.

Three series, each on a fresh experiment of the server under test:

- filtered + ordered runs/search (the side-by-side filter) as one experiment grows through
  ``sc.scale_search_runs`` runs; the answer is checked at every size;
- unpaged get-history of one metric as it grows through ``sc.scale_history_points`` points;
- ingest of ``sc.scale_ingest_points`` points with each of ``sc.scale_threads`` client threads.

A flat store shows a search time that does not grow with the run count, a history time per point
and an ingest time per point that stay level.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from clients import (
    T0_MS,
    RawConn,
    create_experiment,
    create_run,
    make_client,
    ms,
    parallel,
    post,
    steps_values,
    timed_reps,
)
from workloads import FILTER, Result, Scale, history_value, metric_value


@dataclass(frozen=True)
class Row:
    series: str
    size: str
    value: float
    unit: str
    per_item: float
    per_item_unit: str


def _search_data(n: int) -> list[tuple[list[str], list[float]]]:
    rng = random.Random(20_240_502)
    return [([rng.choice("xyz") for _ in range(5)], [rng.random() for _ in range(5)]) for _ in range(n)]


def search_growth(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    data = _search_data(max(sc.scale_search_runs))
    with make_client(base_url) as client:
        experiment_id = create_experiment(client, "scale-search")

    def one_run(offset: int) -> Callable[[httpx.Client, int], None]:
        def work(client: httpx.Client, j: int) -> None:
            i = offset + j
            run_id = create_run(client, experiment_id, f"s{i:06d}")["run_id"]
            params, metrics = data[i]
            post(client, "/runs/log-batch", {
                "run_id": run_id,
                "params": [{"key": f"p{k}", "value": v} for k, v in enumerate(params)],
                "metrics": [{"key": f"m{k}", "value": v, "timestamp": T0_MS, "step": 0} for k, v in enumerate(metrics)],
            })  # fmt: skip
        return work

    body = {"experiment_ids": [experiment_id], "filter": FILTER, "order_by": ["metrics.m1 DESC"], "max_results": 100}
    done = 0
    for size in sc.scale_search_runs:
        elapsed = parallel(base_url, size - done, sc.threads, sc.setup_limit_s, one_run(done))
        log(f"scaling: search experiment grown to {size:,} runs (+{size - done:,} in {elapsed:.1f} s)")
        done = size
        matches = [i for i, (p, m) in enumerate(data[:size]) if m[0] > 0.5 and p[0] == "x"]
        expected = [f"s{i:06d}" for i in sorted(matches, key=lambda i: -data[i][1][1])[:100]]
        with make_client(base_url) as client:
            post(client, "/runs/search", body)
            times, answer = timed_reps(sc.search_reps, sc.loop_limit_s, lambda: post(client, "/runs/search", body))
        names = [r["info"].get("run_name", "") for r in answer.get("runs", [])]  # type: ignore[union-attr]
        res.check("scaling", names == expected, f"filtered search over {size:,} runs returns the expected top {len(expected)}")
        p50 = ms(times)
        res.scaling.append(Row("filtered + ordered search, max 100", f"{size:,} runs", p50, "ms", p50 * 1000 / size,
                               "µs per run in the experiment"))  # fmt: skip


def history_growth(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    with make_client(base_url) as client:
        run_id = create_run(client, create_experiment(client, "scale-history"), "history")["run_id"]
    done = 0
    for size in sc.scale_history_points:
        start = done

        def one_batch(client: httpx.Client, b: int, start: int = start, size: int = size) -> None:
            lo = start + b * sc.batch
            metrics = [{"key": "h", "value": history_value(s), "timestamp": T0_MS + s, "step": s}
                       for s in range(lo, min(size, lo + sc.batch))]  # fmt: skip
            post(client, "/runs/log-batch", {"run_id": run_id, "metrics": metrics})

        parallel(base_url, -(-(size - done) // sc.batch), sc.threads, sc.setup_limit_s, one_batch)
        done = size
        with RawConn(base_url) as conn:
            params = {"run_id": run_id, "metric_key": "h"}
            times, answer = timed_reps(3, sc.loop_limit_s, lambda p=params: conn.get_json("/metrics/get-history", p))
        steps, values = steps_values(answer.get("metrics", []))  # type: ignore[union-attr]
        got = sorted(zip(steps, values))
        res.check("scaling", len(got) == size and [s for s, _ in got] == list(range(size))
                  and got[-1][1] == history_value(size - 1), f"history of {size:,} points complete")
        p50 = ms(times)
        log(f"scaling: history of {size:,} points in {p50:.0f} ms")
        res.scaling.append(Row("get-history, unpaged", f"{size:,} points", p50, "ms", p50 * 1000 / size, "µs per point"))  # fmt: skip


def ingest_threads(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    per_run = sc.ingest_metrics * sc.ingest_steps
    runs = max(1, sc.scale_ingest_points // per_run)
    flat = [{"key": f"metric_{m}", "value": metric_value(m, s), "timestamp": T0_MS + s, "step": s}
            for s in range(sc.ingest_steps) for m in range(sc.ingest_metrics)]  # fmt: skip
    for threads in sc.scale_threads:
        with make_client(base_url) as client:
            experiment_id = create_experiment(client, f"scale-ingest-{threads}")
        def one_run(client: httpx.Client, i: int, experiment_id: str = experiment_id) -> None:
            run_id = create_run(client, experiment_id, f"i{i:04d}")["run_id"]
            for lo in range(0, per_run, sc.batch):
                post(client, "/runs/log-batch", {"run_id": run_id, "metrics": flat[lo : lo + sc.batch]})

        elapsed = parallel(base_url, runs, threads, sc.setup_limit_s, one_run)
        total = runs * per_run
        with make_client(base_url) as client:
            found = post(client, "/runs/search", {"experiment_ids": [experiment_id], "max_results": 1000})
        res.check("scaling", len(found.get("runs", [])) == runs, f"ingest with {threads} threads: {runs} runs found")
        log(f"scaling: ingest {total:,} points with {threads} threads: {total / elapsed:,.0f} points/s")
        res.scaling.append(Row(f"ingest, log-batch {sc.batch}", f"{threads} threads", total / elapsed, "points/s",
                               elapsed / total * 1e6, "µs per point"))  # fmt: skip


SERIES = [search_growth, history_growth, ingest_threads]


def run_all(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    for series in SERIES:
        series(base_url, sc, res, log)


def markdown(kind: str, rows: list[Row]) -> str:
    out = [f"| {kind}: series | size | result | cost per item |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        digits = 0 if r.value >= 100 else 1
        out.append(f"| {r.series} | {r.size} | {r.value:,.{digits}f} {r.unit} | {r.per_item:,.2f} {r.per_item_unit} |")
    return "\n".join(out)


def spread(rows: list[Row], series_prefix: str) -> float | None:
    """Largest over smallest cost per item in one series (1.0 = perfectly flat)."""
    costs = [r.per_item for r in rows if r.series.startswith(series_prefix)]
    return max(costs) / min(costs) if len(costs) > 1 and min(costs) > 0 else None



