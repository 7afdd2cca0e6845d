"""The workloads, run identically against any server that speaks MLflow's REST API.

Each workload records its figures in ``Result.values`` and its answer checks in
``Result.checks[workload]`` (a list of ``(ok, message)``). Every loop is bounded by a count and a
deadline; a deadline that cuts a workload short is reported as a failed check.

Timing conventions: request latency is measured around the call on an open keep-alive
connection; a history time ends when the client holds the decoded points (paging needs the
token from each page, so both variants include the orjson decode); artifact throughput is bytes
over the wall time of one streamed request.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import orjson
from clients import (
    API, ARTIFACTS_API, JSON_HEADERS, MIB, T0_MS, BenchError, RawConn, create_experiment, create_run, full_history,
    get, make_client, ms, parallel, post, steps_values, timed_reps,
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    name: str
    ingest_runs: int
    latency_calls: int
    search_runs: int
    search_reps: int
    history_points: int
    history_reps: int
    artifact_mib: int
    artifact_reps: int
    create_runs: int = 2000
    scale_search_runs: tuple[int, ...] = (1000, 10_000, 100_000)
    scale_history_points: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    scale_threads: tuple[int, ...] = (1, 4, 16)
    scale_ingest_points: int = 500_000
    ingest_metrics: int = 10
    ingest_steps: int = 500
    ingest_params: int = 20
    threads: int = 4
    batch: int = 1000
    history_page: int = 25_000  # the page size the mlflow client uses
    setup_limit_s: float = 900.0  # each setup or ingest phase
    loop_limit_s: float = 180.0  # each timed loop


SCALES = {
    "full": Scale("full", ingest_runs=200, latency_calls=2000, search_runs=10_000, search_reps=20,
                  history_points=100_000, history_reps=5, artifact_mib=256, artifact_reps=3, create_runs=2000),
    "small": Scale("small", ingest_runs=10, latency_calls=500, search_runs=1000, search_reps=5,
                   history_points=50_000, history_reps=2, artifact_mib=32, artifact_reps=2, create_runs=500,
                   scale_search_runs=(500, 2000, 5000), scale_history_points=(10_000, 50_000, 200_000),
                   scale_ingest_points=100_000,
                   setup_limit_s=120.0, loop_limit_s=60.0),
}  # fmt: skip


@dataclass
class Result:
    kind: str
    values: dict[str, float] = field(default_factory=dict)
    checks: dict[str, list[tuple[bool, str]]] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)  # workload -> why
    scaling: list = field(default_factory=list)  # scaling.Row, in series order

    def check(self, workload: str, ok: bool, message: str) -> bool:
        self.checks.setdefault(workload, []).append((bool(ok), message))
        return bool(ok)

    def skip(self, workload: str, why: str) -> None:
        """The server does not offer what ``workload`` measures: shown as "unsupported", not failed."""
        self.unsupported[workload] = why

    def workload_ok(self, workload: str) -> bool | None:
        items = self.checks.get(workload)
        return None if not items else all(ok for ok, _ in items)


# --- 1. ingest ----------------------------------------------------------------------------------


def metric_value(metric: int, step: int) -> float:
    return ((metric * 7919 + step * 104_729) % 10_007) / 10_007


def ingest(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    points_per_run = sc.ingest_metrics * sc.ingest_steps
    total = sc.ingest_runs * points_per_run
    flat = [
        {"key": f"metric_{m}", "value": metric_value(m, s), "timestamp": T0_MS + s, "step": s}
        for s in range(sc.ingest_steps) for m in range(sc.ingest_metrics)
    ]  # fmt: skip
    arrays = [orjson.dumps(flat[i : i + sc.batch]) for i in range(0, len(flat), sc.batch)]
    with make_client(base_url) as client:
        experiment_id = create_experiment(client, "bench-ingest")
    run_ids: list[str | None] = [None] * sc.ingest_runs

    def one_run(client: httpx.Client, i: int) -> None:
        run_id = create_run(client, experiment_id, f"ingest-{i:04d}")["run_id"]
        run_ids[i] = run_id
        params = [{"key": f"param_{j:02d}", "value": f"value-{i}-{j}"} for j in range(sc.ingest_params)]
        post(client, "/runs/log-batch", {"run_id": run_id, "params": params})
        head = b'{"run_id":"' + run_id.encode() + b'","metrics":'
        for array in arrays:
            post(client, "/runs/log-batch", head + array + b"}")

    elapsed = parallel(base_url, sc.ingest_runs, sc.threads, sc.setup_limit_s, one_run)
    res.values["ingest_pps"] = total / elapsed
    log(f"ingest: {total:,} points in {elapsed:.1f} s = {total / elapsed:,.0f} points/s")

    sample = sc.ingest_runs // 2
    run_id = run_ids[sample]
    with make_client(base_url) as client:
        points = full_history(lambda p, q: get(client, p, q), run_id, "metric_3", sc.history_page, 10)
        steps, values = steps_values(points)
        res.check("ingest", len(points) == sc.ingest_steps,
                  f"sample run metric_3 history has {len(points)} points (expected {sc.ingest_steps})")
        expected = [metric_value(3, s) for s in range(sc.ingest_steps)]
        res.check("ingest", sorted(zip(steps, values)) == list(zip(range(sc.ingest_steps), expected)),
                  "sample history steps and values match what was logged")
        run = get(client, "/runs/get", {"run_id": run_id})["run"]
        params = {p["key"]: p.get("value", "") for p in run["data"].get("params", [])}
        want = {f"param_{j:02d}": f"value-{sample}-{j}" for j in range(sc.ingest_params)}
        res.check("ingest", params == want, f"sample run has {len(params)} params, values as logged")
        latest = {m["key"] for m in run["data"].get("metrics", [])}
        res.check("ingest", len(latest) == sc.ingest_metrics, f"sample run shows {len(latest)} latest metrics")
        found = post(client, "/runs/search", {"experiment_ids": [experiment_id], "max_results": 1000})
        count = len(found.get("runs", []))
        res.check("ingest", count == min(sc.ingest_runs, 1000), f"runs/search finds {count} ingest runs")


# --- 2. log-metric latency ----------------------------------------------------------------------


def latency(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    """Sequential single calls on one keep-alive connection (http.client: see clients.py)."""
    with make_client(base_url) as client:
        run_id = create_run(client, create_experiment(client, "bench-latency"), "latency")["run_id"]
    path = API + "/runs/log-metric"

    def body(key: str, i: int) -> bytes:
        return orjson.dumps({"run_id": run_id, "key": key, "value": i * 0.5, "timestamp": T0_MS + i, "step": i})

    clock = time.perf_counter_ns
    with RawConn(base_url, timeout=60) as conn:
        for i in range(min(50, sc.latency_calls)):
            conn.call("POST", path, body("warmup", i), JSON_HEADERS)
        floor: list[int] = []
        for _ in range(min(200, sc.latency_calls)):
            t0 = clock()
            conn.call("GET", "/health")
            floor.append(clock() - t0)
        bodies = [body("latency", i) for i in range(sc.latency_calls)]
        samples: list[int] = []
        deadline = time.monotonic() + sc.loop_limit_s
        for content in bodies:
            if time.monotonic() > deadline:
                break
            t0 = clock()
            conn.call("POST", path, content, JSON_HEADERS)
            samples.append(clock() - t0)
        history = full_history(conn.get_json, run_id, "latency", sc.history_page, 10)
    done = len(samples)
    samples.sort()
    res.values["health_p50"] = statistics.median(floor) / 1e6
    res.values["lat_p50"] = samples[done // 2] / 1e6
    res.values["lat_p99"] = samples[min(done - 1, int(done * 0.99))] / 1e6
    log(f"log-metric: {done:,} calls, p50 {res.values['lat_p50']:.2f} ms, p99 {res.values['lat_p99']:.2f} ms "
        f"(GET /health p50 {res.values['health_p50']:.2f} ms)")  # fmt: skip
    res.check("latency", done == sc.latency_calls,
              f"{done:,} of {sc.latency_calls:,} calls within the {sc.loop_limit_s:.0f} s limit")
    steps, values = steps_values(history)
    res.check("latency", sorted(zip(steps, values)) == [(i, i * 0.5) for i in range(done)],
              f"history has the {len(steps):,} logged points")


# --- 3. runs/create -----------------------------------------------------------------------------


def create_runs(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    """``sc.create_runs`` bare runs/create calls on ``sc.threads`` threads; runs per second."""
    with make_client(base_url) as client:
        experiment_id = create_experiment(client, "bench-create")
    ids: list[str | None] = [None] * sc.create_runs

    def one_run(client: httpx.Client, i: int) -> None:
        ids[i] = create_run(client, experiment_id, f"c{i:05d}")["run_id"]

    elapsed = parallel(base_url, sc.create_runs, sc.threads, sc.setup_limit_s, one_run)
    res.values["create_rps"] = sc.create_runs / elapsed
    log(f"create-run: {sc.create_runs:,} runs in {elapsed:.1f} s = {res.values['create_rps']:,.0f} runs/s")
    res.check("create", len(set(ids)) == sc.create_runs and None not in ids,
              f"{len(set(ids) - {None}):,} distinct run ids for {sc.create_runs:,} calls")
    with make_client(base_url) as client:
        found: set[str] = set()
        token = None
        for _ in range(-(-sc.create_runs // 1000) + 1):
            body: dict = {"experiment_ids": [experiment_id], "max_results": 1000}
            if token:
                body["page_token"] = token
            answer = post(client, "/runs/search", body)
            found |= {r["info"]["run_id"] for r in answer.get("runs", [])}
            token = answer.get("next_page_token")
            if not token:
                break
    res.check("create", found == set(ids), f"runs/search pages through {len(found):,} of the created runs")


# --- 4. runs/search -----------------------------------------------------------------------------

FILTER = "metrics.m0 > 0.5 and params.p0 = 'x'"


def search(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    rng = random.Random(20_240_501)
    data = [([rng.choice("xyz") for _ in range(5)], [rng.random() for _ in range(5)]) for _ in range(sc.search_runs)]
    with make_client(base_url) as client:
        experiment_id = create_experiment(client, "bench-search")

    def one_run(client: httpx.Client, i: int) -> None:
        run_id = create_run(client, experiment_id, f"s{i:05d}")["run_id"]
        params, metrics = data[i]
        post(client, "/runs/log-batch", {
            "run_id": run_id,
            "params": [{"key": f"p{k}", "value": v} for k, v in enumerate(params)],
            "metrics": [{"key": f"m{k}", "value": v, "timestamp": T0_MS, "step": 0} for k, v in enumerate(metrics)],
        })  # fmt: skip

    elapsed = parallel(base_url, sc.search_runs, sc.threads, sc.setup_limit_s, one_run)
    log(f"search setup: {sc.search_runs:,} runs created in {elapsed:.1f} s")
    matches = [i for i, (p, m) in enumerate(data) if m[0] > 0.5 and p[0] == "x"]
    expected = [f"s{i:05d}" for i in sorted(matches, key=lambda i: -data[i][1][1])[:100]]

    filtered = orjson.dumps({"experiment_ids": [experiment_id], "filter": FILTER,
                             "order_by": ["metrics.m1 DESC"], "max_results": 100})  # fmt: skip
    unfiltered = orjson.dumps({"experiment_ids": [experiment_id], "max_results": 1000})
    with make_client(base_url) as client:
        post(client, "/runs/search", filtered)  # warm-up
        times, answer = timed_reps(sc.search_reps, sc.loop_limit_s, lambda: post(client, "/runs/search", filtered))
        res.values["search_filtered"] = ms(times)
        runs = answer.get("runs", [])  # type: ignore[union-attr]
        names = [r["info"].get("run_name", "") for r in runs]
        m1 = [next((m.get("value", 0.0) for m in r["data"].get("metrics", []) if m["key"] == "m1"), None) for r in runs]
        res.check("search", names == expected,
                  f"filtered search returns {len(names)} runs, the expected top {len(expected)} of {len(matches):,} matches")
        res.check("search", all(a is not None and b is not None and a >= b for a, b in zip(m1, m1[1:])),
                  "filtered results ordered by metrics.m1 descending")

        post(client, "/runs/search", unfiltered)
        times, answer = timed_reps(sc.search_reps, sc.loop_limit_s, lambda: post(client, "/runs/search", unfiltered))
        res.values["search_all"] = ms(times)
        runs = answer.get("runs", [])  # type: ignore[union-attr]
        names = {r["info"].get("run_name", "") for r in runs}
        want = min(1000, sc.search_runs)
        res.check("search", len(runs) == want and len(names) == want and all(n.startswith("s") for n in names),
                  f"unfiltered search returns {len(runs)} distinct runs (expected {want})")
        token = answer.get("next_page_token")  # type: ignore[union-attr]
        if sc.search_runs > 1000:
            res.check("search", bool(token), "next_page_token present (more runs than the page holds)")
        elif token:  # a full last page may carry a token; following it must give nothing more
            rest = post(client, "/runs/search", {"experiment_ids": [experiment_id], "max_results": 1000,
                                                 "page_token": token}).get("runs", [])  # fmt: skip
            res.check("search", not rest, f"the token after the full last page leads to {len(rest)} more runs")
        else:
            res.check("search", True, "next_page_token absent after the last page")
    log(f"search: filtered p50 {res.values['search_filtered']:.1f} ms, unfiltered p50 {res.values['search_all']:.1f} ms")


# --- 5. get-history -----------------------------------------------------------------------------


def history_value(step: int) -> float:
    return (step % 997) / 997


def history(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    n = sc.history_points
    with make_client(base_url) as client:
        run_id = create_run(client, create_experiment(client, "bench-history"), "history")["run_id"]

    def one_batch(client: httpx.Client, b: int) -> None:
        metrics = [{"key": "h", "value": history_value(s), "timestamp": T0_MS + s, "step": s}
                   for s in range(b * sc.batch, min(n, (b + 1) * sc.batch))]  # fmt: skip
        post(client, "/runs/log-batch", {"run_id": run_id, "metrics": metrics})

    elapsed = parallel(base_url, -(-n // sc.batch), sc.threads, sc.setup_limit_s, one_batch)
    log(f"history setup: {n:,} points logged in {elapsed:.1f} s")
    expected_steps = list(range(n))
    expected_values = [history_value(s) for s in expected_steps]
    pages = -(-n // sc.history_page) + 2

    with RawConn(base_url) as conn:
        params = {"run_id": run_id, "metric_key": "h"}
        times, answer = timed_reps(sc.history_reps, sc.loop_limit_s, lambda: conn.get_json("/metrics/get-history", params))
        res.values["hist_unpaged"] = ms(times)
        steps, values = steps_values(answer.get("metrics", []))  # type: ignore[union-attr]
        res.check("history", len(steps) == n, f"unpaged history has {len(steps):,} points (expected {n:,})")
        ordered = steps == expected_steps
        res.check("history", ordered or sorted(zip(steps, values)) == list(zip(expected_steps, expected_values)),
                  f"unpaged history has the logged values ({'in' if ordered else 'not in'} step order)")

        times, points = timed_reps(sc.history_reps, sc.loop_limit_s,
                                   lambda: full_history(conn.get_json, run_id, "h", sc.history_page, pages))  # fmt: skip
        res.values["hist_paged"] = ms(times)
        steps, values = steps_values(points)  # type: ignore[arg-type]
        ordered = steps == expected_steps
        res.check("history", ordered or sorted(zip(steps, values)) == list(zip(expected_steps, expected_values)),
                  f"paged history ({sc.history_page:,} per page) has the {len(steps):,} logged points "
                  f"({'in' if ordered else 'not in'} step order)")
    log(f"history: unpaged {res.values['hist_unpaged']:.0f} ms, paged {res.values['hist_paged']:.0f} ms")


# --- 6. artifacts -------------------------------------------------------------------------------

_BASE_BLOCK = random.Random(7).randbytes(MIB)
_DIGESTS: dict[int, str] = {}


def payload(size: int) -> Iterator[bytes]:
    """Deterministic, incompressible, every MiB different; generated on the fly."""
    for i in range(-(-size // MIB)):
        block = i.to_bytes(8, "little") + _BASE_BLOCK[8:]
        yield block[: min(MIB, size - i * MIB)]


def payload_sha256(size: int) -> str:
    if size not in _DIGESTS:
        digest = hashlib.sha256()
        for chunk in payload(size):
            digest.update(chunk)
        _DIGESTS[size] = digest.hexdigest()
    return _DIGESTS[size]


def artifacts(base_url: str, sc: Scale, res: Result, log: Callable[[str], None]) -> None:
    """PUT then GET of one file through the artifact proxy, streamed both ways in 1 MiB pieces."""
    size = sc.artifact_mib * MIB
    expected = payload_sha256(size)
    with make_client(base_url) as client:
        info = create_run(client, create_experiment(client, "bench-artifacts"), "artifacts")
    uri = info.get("artifact_uri", "")
    if res.kind == "fasttrackml" and not uri.startswith("mlflow-artifacts:/"):
        res.skip("artifacts", f"no artifact proxy: runs get artifact_uri {uri[:40]!r}...")
        log("artifacts: unsupported (the server hands out file:// URIs and has no artifact proxy)")
        return
    if not res.check("artifacts", uri.startswith("mlflow-artifacts:/"), f"artifact_uri is {uri!r}"):
        return
    root = uri.removeprefix("mlflow-artifacts:").lstrip("/")
    target = f"{ARTIFACTS_API}/{root}/big.bin"

    with RawConn(base_url) as conn:

        def upload() -> None:
            headers = {"Content-Length": str(size), "Content-Type": "application/octet-stream"}
            conn.call("PUT", target, payload(size), headers)

        def download(sink: Callable[[memoryview], object] | None = None) -> int:
            response = conn.open("GET", target)
            if response.status != 200:
                raise BenchError(f"artifact GET: HTTP {response.status} {response.read()[:200]!r}")
            return conn.read_into(response, size + MIB, sink)

        times, _ = timed_reps(sc.artifact_reps, sc.loop_limit_s, upload)
        res.values["art_up"] = sc.artifact_mib / statistics.median(times)
        times, received = timed_reps(sc.artifact_reps, sc.loop_limit_s, download)
        res.values["art_down"] = sc.artifact_mib / statistics.median(times)
        res.check("artifacts", received == size, f"download returned {received:,} bytes (expected {size:,})")

        digest = hashlib.sha256()  # checked on a separate, untimed download
        download(digest.update)
        res.check("artifacts", digest.hexdigest() == expected, "downloaded sha256 equals the uploaded one")
        listing = conn.call("GET", f"{ARTIFACTS_API}?{urlencode({'path': root})}")
        sizes = {f.get("path"): int(f.get("file_size", -1)) for f in orjson.loads(listing).get("files", [])}
        res.check("artifacts", sizes.get("big.bin") == size, f"listing shows big.bin with {sizes.get('big.bin')} bytes")
    log(f"artifacts: {sc.artifact_mib} MiB up {res.values['art_up']:.0f} MiB/s, down {res.values['art_down']:.0f} MiB/s")


WORKLOADS: list[tuple[str, Callable[[str, Scale, Result, Callable[[str], None]], None]]] = [
    ("ingest", ingest),
    ("latency", latency),
    ("create", create_runs),
    ("search", search),
    ("history", history),
    ("artifacts", artifacts),
]
