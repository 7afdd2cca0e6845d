"""Scale-out benchmark: Cairn on PostgreSQL + S3 with 1, 2 and 4 workers, beside Cairn on SQLite and
the MLflow server on the same PostgreSQL and S3 server, in one run.

    python benchmarks/bench_scaleout.py [--scale small|full] [--workers 1,2,4]
                                        [--mlflow-workers 1,2,4] [--sqlite-workers 1,2,4]

Starts a throwaway PostgreSQL cluster (Debian's ``postgresql`` package) and SeaweedFS's S3 server
(``weed`` from the test extra) with the code the test suite uses (``tests/servers``), then, one
server at a time, each configuration on a fresh database and a fresh S3 prefix:

* ``cairn server --workers N`` on SQLite + a local folder (the reference figures; these run first,
  before PostgreSQL and SeaweedFS start, so they do not share the machine with idle servers),
* ``cairn server --workers N`` on PostgreSQL + S3,
* ``mlflow server --workers N`` on the same PostgreSQL + S3 (``--serve-artifacts``),

and runs the workloads of ``servers/workloads.py`` that the scale-out targets name: ingest,
log-metric latency, filtered search over ``search_runs`` runs, get-history and artifact
throughput, with every answer checked. Prints one table with a column per configuration, Cairn on
PostgreSQL against Cairn on SQLite with the same worker count, and the targets (ingest >= 150,000
points/s; every other figure within 1.5x of the SQLite one); the Markdown goes to
``benchmarks/results/scaleout.md``. Exits 1 if any answer check fails, 2 if a server cannot start.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "servers"))
sys.path.insert(0, str(HERE / "common"))
sys.path.insert(0, str(ROOT))  # tests.servers: the suite's own PostgreSQL and SeaweedFS starters

import httpx  # noqa: E402
import launch  # noqa: E402
from bench_servers import _terminate, finish, log, machine  # noqa: E402
from clients import BenchError  # noqa: E402
from report import Measure  # noqa: E402
from workloads import SCALES, Result, Scale, artifacts, history, ingest, latency, search  # noqa: E402

from tests.servers import postgres, seaweedfs  # noqa: E402

WORKLOADS = [("ingest", ingest), ("latency", latency), ("search", search), ("history", history),
             ("artifacts", artifacts)]  # fmt: skip
INGEST_TARGET_PPS = 150_000  # on PostgreSQL, this 2-core machine
WITHIN_SQLITE = 1.5  # every other PostgreSQL figure within this factor of the SQLite one
BUCKET = "bench"
PG_SETTINGS = {
    # The test suite's cluster runs without fsync; a benchmark must not. These are closest to the
    # guarantee of Cairn's SQLite store (WAL, synchronous=NORMAL): a crash of the machine (or here
    # of PostgreSQL itself) may lose the last commits, never consistency; killing the tracking
    # server loses nothing it acknowledged.
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": "off",
    # Each workload fills its tables in seconds and reads them at once. With the default one-minute
    # naptime autovacuum has not analysed them yet, and both servers' queries are planned for empty
    # tables (a filtered search then takes seconds); a live store is analysed within that minute.
    # Checking every second measures the steady state.
    "autovacuum_naptime": "1s",
}


@dataclass(frozen=True)
class Config:
    kind: str  # "cairn" or "mlflow"
    store: str  # "sqlite" or "postgresql"
    workers: int

    @property
    def label(self) -> str:
        name = "Cairn" if self.kind == "cairn" else "MLflow"
        where = "SQLite" if self.store == "sqlite" else "PG+S3"
        return f"{name} {where} {self.workers}w"


def measures(sc: Scale) -> list[Measure]:
    points = sc.ingest_runs * sc.ingest_metrics * sc.ingest_steps
    return [
        Measure("ingest_pps", f"ingest {points:,} points ({sc.threads} threads)", "points/s", True, "ingest", digits=0),
        Measure("lat_p50", "log-metric p50, keep-alive", "ms", False, "latency", digits=2),
        Measure("lat_p99", "log-metric p99", "ms", False, "latency", digits=2),
        Measure("search_filtered", f"search {sc.search_runs:,} runs, filter + order, p50", "ms", False, "search"),
        Measure("search_all", "search unfiltered, 1000 results, p50", "ms", False, "search"),
        Measure("hist_unpaged", f"get-history {sc.history_points:,} points", "ms", False, "history", digits=0),
        Measure("hist_paged", f"get-history, pages of {sc.history_page:,}", "ms", False, "history", digits=0),
        Measure("art_up", f"artifact upload {sc.artifact_mib} MiB", "MiB/s", True, "artifacts", digits=0),
        Measure("art_down", f"artifact download {sc.artifact_mib} MiB", "MiB/s", True, "artifacts", digits=0),
    ]  # fmt: skip


@contextmanager
def infrastructure() -> Iterator[tuple[postgres.Cluster, seaweedfs.SeaweedFS]]:
    with ExitStack() as stack:
        cluster = postgres.start_cluster(PG_SETTINGS)
        stack.callback(cluster.stop)
        s3 = seaweedfs.start_seaweedfs()
        stack.callback(seaweedfs.stop_seaweedfs, s3)
        s3.client().create_bucket(Bucket=BUCKET)
        yield cluster, s3


def s3_ceiling(s3: seaweedfs.SeaweedFS, sc: Scale) -> tuple[float, float]:
    """The S3 server's own speed in MiB/s: one ``put_object`` and one ``get_object`` of
    ``artifact_mib`` MiB straight from boto3 (the ceiling for any server's artifact proxy)."""
    client, key, size = s3.client(), f"ceiling-{uuid.uuid4().hex}", sc.artifact_mib << 20
    body = os.urandom(size)
    t0 = time.perf_counter()
    client.put_object(Bucket=BUCKET, Key=key, Body=body)
    up = sc.artifact_mib / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    received = len(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    down = sc.artifact_mib / (time.perf_counter() - t0)
    client.delete_object(Bucket=BUCKET, Key=key)
    if received != size:
        raise BenchError(f"S3 ceiling probe read {received:,} bytes back, expected {size:,}")
    return up, down


def run_config(cfg: Config, sc: Scale, cluster: postgres.Cluster | None, s3: seaweedfs.SeaweedFS | None) -> Result:
    res = Result(cfg.kind)
    server = launch.Server(cfg.kind, cfg.workers)
    if cfg.store == "postgresql":
        assert cluster is not None and s3 is not None
        database = f"{cfg.kind}_{cfg.workers}w_{uuid.uuid4().hex[:6]}"
        with cluster.connect() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        server.store_uri = cluster.url(database)
        server.artifacts = f"s3://{BUCKET}/{database}"
        # boto3 reads AWS_ENDPOINT_URL; MLflow's S3 artifact repository reads its own variable.
        server.env = {**s3.env, "MLFLOW_S3_ENDPOINT_URL": s3.endpoint_url}
    try:
        t0 = time.perf_counter()
        server.start()
        log(cfg.label, f"healthy on port {server.port} after {time.perf_counter() - t0:.1f} s")
        for name, workload in WORKLOADS:
            if not server.alive():
                res.check(name, False, "server process is gone")
                continue
            try:
                workload(server.base_url, sc, res, lambda msg: log(cfg.label, msg))
            except (BenchError, httpx.HTTPError, KeyError, ValueError) as exc:
                res.check(name, False, f"{type(exc).__name__}: {exc}"[:400])
                log(cfg.label, f"{name} failed: {exc}"[:400])
        if not server.alive():
            res.check("server", False, f"server died during the run:\n{server.log_tail()}")
    finally:
        server.stop()
        log(cfg.label, "stopped")
    return res


def _cell(res: Result | None, m: Measure) -> str:
    if res is None or m.key not in res.values:
        return "—"
    return f"{res.values[m.key]:,.{m.digits}f}"


def _ratio(pg: float, lite: float, higher_is_better: bool) -> float:
    """How many times worse PostgreSQL is than SQLite on this figure (1.0 = equal, < 1 = better)."""
    return lite / pg if higher_is_better else pg / lite


def table(sc: Scale, results: dict[Config, Result], workers: list[int]) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and the list of targets missed. The "PG vs SQLite" cell gives, per worker
    count, how many times slower Cairn on PostgreSQL is than on SQLite (<= 1.5x is the target)."""
    configs = list(results)
    header = ["measure", *(c.label for c in configs), "Cairn PG / SQLite", "target"]
    rows, missed = [], []
    for m in measures(sc):
        ratios, verdicts = [], []
        for n in workers:
            pg = results.get(Config("cairn", "postgresql", n))
            lite = results.get(Config("cairn", "sqlite", n))
            a = pg.values.get(m.key) if pg else None
            b = lite.values.get(m.key) if lite else None
            if m.key == "ingest_pps":
                if a is not None:
                    ok = a >= INGEST_TARGET_PPS
                    verdicts.append(ok)
                    if not ok:
                        missed.append(f"{m.label}, {n} worker(s): {a:,.0f} < {INGEST_TARGET_PPS:,}")
            if a and b:
                r = _ratio(a, b, m.higher_is_better)
                ratios.append(f"{r:.2f}x")
                if m.key != "ingest_pps":
                    ok = r <= WITHIN_SQLITE
                    verdicts.append(ok)
                    if not ok:
                        missed.append(f"{m.label}, {n} worker(s): {r:.2f}x the SQLite figure")
            else:
                ratios.append("—")
        goal = f">= {INGEST_TARGET_PPS:,}" if m.key == "ingest_pps" else f"<= {WITHIN_SQLITE}x SQLite"
        state = "—" if not verdicts else ("met" if all(verdicts) else f"short ({verdicts.count(False)})")
        rows.append([f"{m.label} [{m.unit}]", *(_cell(results[c], m) for c in configs), " / ".join(ratios),
                     f"{goal} {state}"])  # fmt: skip
    return header, rows, missed


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", *["---:"] * (len(header) - 1)]) + "|"]
    return "\n".join([*out, *("| " + " | ".join(r) + " |" for r in rows)])


def _counts(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected worker counts such as 1,2,4, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("worker counts must be at least 1")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--workers", type=_counts, default=[1, 2, 4], help="Cairn worker counts on PostgreSQL")
    parser.add_argument("--sqlite-workers", type=_counts, help="Cairn worker counts on SQLite (default: --workers)")
    parser.add_argument("--mlflow-workers", type=_counts, help="MLflow worker counts (default: --workers)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "scaleout.md")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    sc = SCALES[args.scale]
    configs = [
        *(Config("cairn", "sqlite", n) for n in (args.sqlite_workers or args.workers)),
        *(Config("cairn", "postgresql", n) for n in args.workers),
        *(Config("mlflow", "postgresql", n) for n in (args.mlflow_workers or args.workers)),
    ]  # fmt: skip
    host = machine()
    print(f"Machine: {host}", flush=True)
    print(f"Scale {sc.name}; configurations: {', '.join(c.label for c in configs)}", flush=True)
    started, load_start = time.perf_counter(), os.getloadavg()[0]
    results: dict[Config, Result] = {}
    try:
        # SQLite first, before PostgreSQL and SeaweedFS start: SeaweedFS alone keeps a quarter of a
        # core busy even when no request reaches it, which the SQLite figures must not pay.
        for cfg in configs:
            if cfg.store == "sqlite":
                results[cfg] = run_config(cfg, sc, None, None)
        with infrastructure() as (cluster, s3):
            log("setup", f"PostgreSQL on port {cluster.port}, SeaweedFS S3 at {s3.endpoint_url}")
            ceiling = s3_ceiling(s3, sc)
            log("setup", f"S3 server alone: put {ceiling[0]:,.0f} MiB/s, get {ceiling[1]:,.0f} MiB/s")
            for cfg in configs:
                if cfg.store != "sqlite":
                    results[cfg] = run_config(cfg, sc, cluster, s3)
        results = {cfg: results[cfg] for cfg in configs}  # table columns in the configurations' order
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except (launch.ServerError, postgres.PostgresMissing) as exc:
        print(f"\ncould not start: {exc}", file=sys.stderr)
        return 2
    elapsed, load_end = time.perf_counter() - started, os.getloadavg()[0]

    header, rows, missed = table(sc, results, args.workers)
    checks = [f"{'✓' if ok else '✗'} {cfg.label:<18} {workload:<9} {message}"
              for cfg, res in results.items() for workload, items in res.checks.items() for ok, message in items]  # fmt: skip
    failed = [line for line in checks if line.startswith("✗")]
    command = f"python benchmarks/bench_scaleout.py --scale {sc.name} --workers {','.join(map(str, args.workers))}"
    print()
    print(text_table(header, rows))
    print("\nAnswer checks:\n" + "\n".join("  " + line for line in checks))
    markdown = "\n".join([
        f"Measured with `{command}` on {host}; {elapsed:.0f} s in all, one server at a time.",
        "",
        markdown_table(header, rows),
        "",
        "PG+S3 is PostgreSQL for the metadata and SeaweedFS's S3 server for the artifacts, both on this "
        "machine; SQLite is a file and the artifacts a local folder. \"Cairn PG / SQLite\" is, per worker count, "
        "how many times slower Cairn is on PostgreSQL than on SQLite (below 1.00x it is faster). "
        f"The S3 server alone (boto3 `put_object` / `get_object` of {sc.artifact_mib} MiB, same run): "
        f"{ceiling[0]:,.0f} / {ceiling[1]:,.0f} MiB/s, the ceiling for any artifact proxy in front of it. "
        "PostgreSQL 15 ran with fsync and full-page writes on and `synchronous_commit = off` (the guarantee of "
        "Cairn's SQLite store: WAL, synchronous=NORMAL), and `autovacuum_naptime = 1s`, so each workload's freshly "
        "filled tables are analysed before they are queried, as they are within the default minute on a live store. "
        f"1-minute load average {load_start:.2f} at the start, {load_end:.2f} at the end.",
        "",
        "Targets: " + ("all met." if not missed else "missed: " + "; ".join(missed) + "."),
        "",
        "Answer checks: " + ("all passed." if not failed else f"{len(failed)} failed:"),
        *(f"- {line}" for line in failed),
    ])  # fmt: skip
    return finish(args.output, markdown, len(failed))


if __name__ == "__main__":
    sys.exit(main())
