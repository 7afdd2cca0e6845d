"""Single-row prediction latency and throughput: in process, ``cairn serve`` and ``mlflow models serve``.

    python benchmarks/bench_serving.py [--scale small|full] [--requests N] [--concurrency C]
                                       [--seconds T] [--no-mlflow] [--keep]

Logs a seeded GradientBoostingClassifier (10 numeric features, 1,000 rows) to a fresh embedded
store in a temporary folder, registers it as ``bench-model`` and promotes version 1 to Production.
Then measures, for one-row requests:

- in process: the sklearn estimator's ``predict`` and ``cairn.load_model(...).predict`` on a
  one-row DataFrame, and the request body decoded into that DataFrame then predicted (calls/s on
  one thread);
- ``cairn serve bench-model`` with the prediction log on (the default) and off
  (``CAIRN_PREDICTION_LOG=off``);
- ``mlflow models serve --env-manager local`` on the same package, downloaded from the store.

Latency is N sequential ``dataframe_split`` requests on one keep-alive ``http.client`` connection after a
warm-up; throughput is C clients, each a thread with its own keep-alive client, sending for T
seconds per server. Both are split into rounds that take the servers in turn (all of them run
from the start, idle when not measured), so a change in the machine's load hits them alike.
Every server's answer for each request row is checked against the in-process prediction first.
Prints a table and the figures the targets are stated in; writes them as JSON to
``benchmarks/results/serving-<scale>.json``. The client runs on the same machine as the servers
and shares its CPUs with them; the output says how many there are.

Exits 1 if a server answers a prediction that differs from the in-process one, 2 if a
``cairn serve`` process cannot be started (``mlflow models serve`` failing to start is
reported, not fatal), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "serving"))
sys.path.insert(0, str(HERE / "common"))

import bench_model  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402
import pandas as pd  # noqa: E402
import processes  # noqa: E402
import summary  # noqa: E402
import timing  # noqa: E402
from summary import CAIRN_MODEL, DECODE_PREDICT, LOG_OFF, LOG_ON, MLFLOW, SKLEARN  # noqa: E402


@dataclass(frozen=True)
class Scale:
    name: str
    requests: int
    concurrency: int
    seconds: float
    rounds: int
    pool: int = 64
    pings: int = 200

    @property
    def warmup(self) -> int:
        return max(50, self.requests // 10)


SCALES = {
    "small": Scale("small", requests=1_000, concurrency=4, seconds=6.0, rounds=2),
    "full": Scale("full", requests=5_000, concurrency=8, seconds=30.0, rounds=3),
}


def log(what: str, message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what:<32} {message}", flush=True)


def measure_in_process(model: bench_model.BenchModel, sc: Scale) -> dict[str, dict[str, Any]]:
    frames = model.frames
    bodies = timing.encode_bodies([model.body(i) for i in range(len(frames))])

    def decode_and_predict(body: bytes) -> object:
        # what a scoring server does besides HTTP: the request body to a DataFrame, then predict
        split = orjson.loads(body)["dataframe_split"]
        return model.loaded.predict(pd.DataFrame(split["data"], columns=split["columns"]))

    for what, answers in (("the sklearn estimator", [model.estimator.predict(frame) for frame in frames]),
                          ("predict on the decoded request", [decode_and_predict(body) for body in bodies])):  # fmt: skip
        if [bench_model.plain_prediction(answer) for answer in answers] != model.expected:
            raise timing.BenchError(f"{what} and the loaded Cairn model disagree on the request rows")

    results = {}
    for name, predict, inputs in ((SKLEARN, model.estimator.predict, frames),
                                  (CAIRN_MODEL, model.loaded.predict, frames),
                                  (DECODE_PREDICT, decode_and_predict, bodies)):  # fmt: skip
        def call(i: int, predict: Any = predict, inputs: Any = inputs) -> object:
            return predict(inputs[i % len(inputs)])

        latency = timing.time_calls(call, sc.requests, sc.warmup)
        rate = timing.calls_per_second(call, sc.seconds / sc.rounds)
        results[name] = {"status": "ok", "latency": latency.to_dict(), "throughput_rps": rate}
        log(name, f"p50 {latency.p50_ms:.3f} ms, p99 {latency.p99_ms:.3f} ms, {rate:,.0f} calls/s")
    return results


def log_state(metadata: dict[str, Any]) -> Any:
    """What /metadata says about the prediction log, if anything."""
    found = {key: value for key, value in metadata.items() if "log" in key.lower()}
    return found or "not reported"


def is_log_enabled(state: Any) -> bool | None:
    """The ``enabled`` flag inside a /metadata prediction-log entry; None when not reported."""
    if isinstance(state, dict):
        if isinstance(state.get("enabled"), bool):
            return state["enabled"]
        for value in state.values():
            found = is_log_enabled(value)
            if found is not None:
                return found
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--requests", type=int, help="sequential requests timed per server (latency)")
    parser.add_argument("--concurrency", type=int, help="concurrent clients (throughput)")
    parser.add_argument("--seconds", type=float, help="seconds of throughput load per server, split into rounds")
    parser.add_argument("--no-mlflow", action="store_true", help="leave out mlflow models serve")
    parser.add_argument("--output", type=Path, help="JSON file (default benchmarks/results/serving-<scale>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (store, server logs)")
    args = parser.parse_args(argv)
    sc = SCALES[args.scale]
    given = {"requests": args.requests, "concurrency": args.concurrency, "seconds": args.seconds}
    sc = replace(sc, **{key: value for key, value in given.items() if value is not None})
    if sc.requests < 1 or sc.concurrency < 1 or sc.seconds <= 0:
        parser.error("--requests, --concurrency and --seconds must be positive")
    output = args.output or HERE / "results" / f"serving-{sc.name}.json"
    signal.signal(signal.SIGTERM, _terminate)

    host = summary.machine()
    shared = (f"client and servers share the machine's {host['cpus']} CPUs: the client threads compete "
              "with the server for them, so HTTP figures include client cost and contention")  # fmt: skip
    print(f"Machine: {summary.machine_line(host)}", flush=True)
    print(f"Note: {shared}", flush=True)
    print(f"Scale {sc.name}: {sc.requests:,} sequential requests after {sc.warmup:,} warm-up, "
          f"{sc.concurrency} clients for {sc.seconds:g} s per server in {sc.rounds} rounds", flush=True)  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    servers: dict[str, processes.ServeProcess] = {}
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    try:
        model = bench_model.build(folder, sc.pool)
        log("setup", f"{bench_model.MODEL_NAME} v{model.version} in Production ({folder})")
        results = measure_in_process(model, sc)
        candidates = {
            LOG_ON: processes.cairn_serve(bench_model.MODEL_NAME, model.store, folder / "serve-log-on", True),
            LOG_OFF: processes.cairn_serve(bench_model.MODEL_NAME, model.store, folder / "serve-log-off", False),
        }
        if not args.no_mlflow:
            candidates[MLFLOW] = processes.mlflow_serve(model.package, folder / "mlflow-serve")
        mismatches = run_servers(candidates, servers, model, sc, results)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except (timing.BenchError, httpx.HTTPError, OSError) as exc:
        print(f"\nerror: {type(exc).__name__}: {exc}; servers stopped", file=sys.stderr)
        return 1
    finally:
        for server in servers.values():
            server.stop()
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - started

    figures = summary.derived(results)
    figures["prediction_log_enabled_per_metadata"] = {
        name: is_log_enabled(results.get(name, {}).get("prediction_log")) for name in (LOG_ON, LOG_OFF)}
    document = {
        "benchmark": "serving", "scale": sc.name, "machine": host, "note": shared,
        "settings": {"requests": sc.requests, "warmup": sc.warmup, "concurrency": sc.concurrency,
                     "seconds_per_server": sc.seconds, "rounds": sc.rounds, "request_rows": sc.pool,
                     "model": "GradientBoostingClassifier, 10 float features, 1,000 training rows"},
        "load_average_1min": {"start": load_start, "end": os.getloadavg()[0]},
        "elapsed_s": elapsed, "results": results, "derived": figures, "answer_mismatches": mismatches,
    }  # fmt: skip
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")

    print()
    print(f"Machine: {summary.machine_line(host)}")
    print(f"Note: {shared}.")
    print(f"{elapsed:.0f} s in all; 1-minute load average {load_start:.2f} at the start, "
          f"{document['load_average_1min']['end']:.2f} at the end")  # fmt: skip
    print()
    print(summary.table(results, sc.concurrency))
    print()
    print("\n".join(summary.derived_lines(figures)))
    for name, result in results.items():
        if result.get("status") != "ok":
            print(f"\n{name}: {result['status']}: {result.get('reason', '')}")
        elif "prediction_log" in result:
            print(f"{name}: /metadata prediction log: {result['prediction_log']}")
    if figures["prediction_log_enabled_per_metadata"][LOG_OFF] is not False:
        print(f"Warning: /metadata of '{LOG_OFF}' does not report the log as disabled; if "
              "CAIRN_PREDICTION_LOG=off is not honoured, the logging cost above is noise.")
    print(f"\nResults written to {output}")
    if mismatches:
        print(f"\nANSWER CHECK FAILED: {len(mismatches)} prediction(s) differ from in-process predict:", file=sys.stderr)
        print("\n".join("  " + line for line in mismatches[:20]), file=sys.stderr)
        return 1
    if any(results.get(name, {}).get("status") != "ok" for name in (LOG_ON, LOG_OFF)):
        return 2
    return 0


def run_servers(candidates: dict[str, processes.ServeProcess], servers: dict[str, processes.ServeProcess],
                model: bench_model.BenchModel, sc: Scale, results: dict[str, dict[str, Any]]) -> list[str]:
    """Start and check every server, then time them in rounds; fills ``results`` and returns
    the answer mismatches. The servers all run from the start: an idle one takes no CPU."""
    bodies = timing.encode_bodies([model.body(i) for i in range(sc.pool)])
    mismatches: list[str] = []
    for name, server in candidates.items():
        t0 = time.perf_counter()
        try:
            server.start()
        except processes.StartError as exc:
            server.stop()
            results[name] = {"status": "did not start", "reason": str(exc)}
            lines = str(exc).splitlines() or [""]
            log(name, f"did not start: {lines[0]} {lines[-1].strip() if len(lines) > 1 else ''}")
            continue
        servers[name] = server
        log(name, f"answering on port {server.port} after {time.perf_counter() - t0:.1f} s")
        result: dict[str, Any] = {"status": "ok", "startup_s": time.perf_counter() - t0}
        results[name] = result
        if name != MLFLOW:
            metadata = httpx.get(server.base_url + "/metadata", timeout=10, trust_env=False).json()
            result["prediction_log"] = log_state(metadata)
        problems = timing.check_answers(server.base_url, bodies, model.expected)
        mismatches.extend(f"{name}: {line}" for line in problems)
        result["answers_match"] = not problems
        log(name, f"answers for {sc.pool} rows {'match' if not problems else 'DIFFER FROM'} in-process predict")
        result["ping"] = timing.ping_latency(server.base_url, sc.pings).to_dict()

    names = list(servers)
    samples: dict[str, list[int]] = {name: [] for name in names}
    totals = {name: [0, 0.0] for name in names}
    per_round = -(-sc.requests // sc.rounds)
    for round_ in range(sc.rounds):
        count = min(per_round, sc.requests - round_ * per_round)
        for name in _rotated(names, round_):
            warmup = sc.warmup if round_ == 0 else min(20, sc.warmup)
            samples[name] += timing.http_samples(servers[name].base_url, bodies, count, warmup, round_ * per_round)
    for name in names:
        latency = timing.summarize(samples[name])
        results[name]["latency"] = latency.to_dict()
        log(name, f"p50 {latency.p50_ms:.3f} ms, p99 {latency.p99_ms:.3f} ms "
                  f"(GET /ping p50 {results[name]['ping']['p50_ms']:.3f} ms)")  # fmt: skip
    for round_ in range(sc.rounds):
        for name in _rotated(names, round_):
            done, seconds = timing.http_throughput(servers[name].base_url, bodies, sc.concurrency, sc.seconds / sc.rounds)
            totals[name][0] += done
            totals[name][1] += seconds
            log(name, f"throughput round {round_ + 1}: {done / seconds:,.0f} req/s")
    for name in names:
        done, seconds = totals[name]
        results[name]["throughput_rps"] = done / seconds
        results[name]["throughput_requests"] = done
        if not servers[name].alive() or servers[name].log_has_traceback():
            mismatches.append(f"{name}: the server died or logged a traceback:\n{servers[name].log_tail()}")
    return mismatches


def _rotated(names: list[str], k: int) -> list[str]:
    """``names`` starting at position k, so no server always goes first."""
    k %= max(1, len(names))
    return names[k:] + names[:k]


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
