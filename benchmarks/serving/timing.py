"""Latency and throughput of single-row predictions, in process and over HTTP.

Latency: ``n`` sequential calls after a warm-up, each timed alone; p50 and p99 are read from the
sorted samples. Throughput over HTTP: ``concurrency`` threads, each with its own keep-alive
connection, send requests back to back for a fixed time; requests/s is the number answered over
the wall time. The client runs in this process, on the same cores as the server.

The client is the standard library's ``http.client`` on one keep-alive connection: about 0.3 ms
a request where ``httpx`` costs about 2 ms, which would otherwise hide the servers' own cost.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

JSON_HEADERS = {"Content-Type": "application/json"}


class BenchError(RuntimeError):
    """A request failed or a server answered something other than the expected prediction."""


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float

    def to_dict(self) -> dict[str, float]:
        return {"count": self.count, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "mean_ms": self.mean_ms}


def summarize(samples_ns: list[int]) -> Latency:
    ordered = sorted(samples_ns)
    n = len(ordered)
    return Latency(n, ordered[n // 2] / 1e6, ordered[min(n - 1, int(n * 0.99))] / 1e6, sum(ordered) / n / 1e6)


def timed_samples(call: Callable[[int], object], n: int, warmup: int, start: int = 0) -> list[int]:
    """``call(i)`` ``warmup`` times untimed, then ``n`` times timed; nanoseconds per call."""
    for i in range(warmup):
        call(start + i)
    clock = time.perf_counter_ns
    samples: list[int] = []
    for i in range(start, start + n):
        t0 = clock()
        call(i)
        samples.append(clock() - t0)
    return samples


def time_calls(call: Callable[[int], object], n: int, warmup: int) -> Latency:
    return summarize(timed_samples(call, n, warmup))


def calls_per_second(call: Callable[[int], object], seconds: float) -> float:
    """Back-to-back calls on this thread for ``seconds``."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        call(done)
        done += 1
    return done / (time.perf_counter() - started)


class KeepAlive:
    """One keep-alive HTTP/1.1 connection; ``post``/``get`` return (status, body)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30.0)

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self._connection.request("POST", path, body=body, headers=JSON_HEADERS)
        response = self._connection.getresponse()
        return response.status, response.read()

    def get(self, path: str) -> tuple[int, bytes]:
        self._connection.request("GET", path)
        response = self._connection.getresponse()
        return response.status, response.read()

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.close()


def make_client(base_url: str) -> KeepAlive:
    return KeepAlive(base_url)


def encode_bodies(bodies: Sequence[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(body) for body in bodies]


def _invoke(client: KeepAlive, body: bytes) -> bytes:
    status, content = client.post("/invocations", body)
    if status != 200:
        raise BenchError(f"POST /invocations: HTTP {status} {content[:300]!r}")
    return content


def check_answers(base_url: str, bodies: list[bytes], expected: list[Any]) -> list[str]:
    """Each pool row once; the mismatches, as lines (empty when every prediction matches)."""
    problems: list[str] = []
    with make_client(base_url) as client:
        for i, (body, want) in enumerate(zip(bodies, expected)):
            predictions = orjson.loads(_invoke(client, body)).get("predictions")
            got = predictions[0] if isinstance(predictions, list) and len(predictions) == 1 else predictions
            if got != want:
                problems.append(f"row {i}: server answered {got!r}, in-process predict {want!r}")
    return problems


def http_samples(base_url: str, bodies: list[bytes], n: int, warmup: int, start: int = 0) -> list[int]:
    """Nanoseconds per request for ``n`` sequential requests on a new keep-alive connection."""
    with make_client(base_url) as client:
        return timed_samples(lambda i: _invoke(client, bodies[i % len(bodies)]), n, warmup, start)


def ping_latency(base_url: str, n: int) -> Latency:
    """GET /ping on one keep-alive connection: the HTTP floor, client cost included."""
    with make_client(base_url) as client:
        return time_calls(lambda i: client.get("/ping"), n, min(50, n))


def http_throughput(base_url: str, bodies: list[bytes], concurrency: int, seconds: float) -> tuple[int, float]:
    """Requests answered and wall seconds, ``concurrency`` clients sending for ``seconds``."""
    counts = [0] * concurrency
    errors: list[BaseException] = []
    ready = threading.Barrier(concurrency + 1)
    stop = threading.Event()

    def worker(k: int) -> None:
        try:
            with make_client(base_url) as client:
                _invoke(client, bodies[k % len(bodies)])  # opens the connection before the clock
                ready.wait()
                i = k
                while not stop.is_set():
                    _invoke(client, bodies[i % len(bodies)])
                    counts[k] += 1
                    i += concurrency
        except threading.BrokenBarrierError:
            return
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            stop.set()
            ready.abort()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True, name=f"client-{k}") for k in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - started
    if errors:
        exc = errors[0]
        raise exc if isinstance(exc, BenchError) else BenchError(f"{type(exc).__name__}: {exc}")
    return sum(counts), elapsed
