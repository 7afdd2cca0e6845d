"""HTTP helpers shared by the workloads.

Two clients: ``httpx.Client`` (one keep-alive connection per thread) for the request-heavy phases,
and ``RawConn`` (``http.client``, one keep-alive connection) where the client's own cost would
show in the figure. On the reference machine httpx spends ~0.6 ms per call and streams a
response body at ~350 MiB/s, while http.client spends ~0.2 ms per call and reads into a reused
buffer at ~1.5 GiB/s; it also sends headers and a bytes body in a single write.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

import httpx
import orjson

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
JSON_HEADERS = {"Content-Type": "application/json"}
MIB = 1024 * 1024
T0_MS = 1_700_000_000_000

Fetch = Callable[[str, dict], dict]


class BenchError(RuntimeError):
    """A request failed or a phase ran out of time."""


# --- httpx ----------------------------------------------------------------------------------------


def make_client(base_url: str, timeout: float = 600.0) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, timeout=timeout, trust_env=False,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )  # fmt: skip


def _decode(response: httpx.Response, what: str) -> dict:
    if response.status_code != 200:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:300]!r}")
    return orjson.loads(response.content) if response.content else {}


def post(client: httpx.Client, path: str, body: dict | bytes) -> dict:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return _decode(client.post(API + path, content=content, headers=JSON_HEADERS), path)


def get(client: httpx.Client, path: str, params: dict) -> dict:
    return _decode(client.get(API + path, params=params), path)


def create_experiment(client: httpx.Client, name: str) -> str:
    return str(post(client, "/experiments/create", {"name": name})["experiment_id"])


def create_run(client: httpx.Client, experiment_id: str, name: str) -> dict:
    body = {"experiment_id": experiment_id, "run_name": name, "start_time": T0_MS}
    return post(client, "/runs/create", body)["run"]["info"]


# --- http.client ----------------------------------------------------------------------------------


class RawConn:
    """One keep-alive ``http.client`` connection."""

    def __init__(self, base_url: str, timeout: float = 600.0) -> None:
        url = httpx.URL(base_url)
        self.conn = http.client.HTTPConnection(url.host, url.port, timeout=timeout)

    def __enter__(self) -> RawConn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def open(self, method: str, target: str, body: bytes | Iterable[bytes] | None = None,
             headers: dict[str, str] | None = None) -> http.client.HTTPResponse:  # fmt: skip
        self.conn.request(method, target, body=body, headers=headers or {})
        return self.conn.getresponse()

    def call(self, method: str, target: str, body: bytes | Iterable[bytes] | None = None,
             headers: dict[str, str] | None = None) -> bytes:  # fmt: skip
        """The whole response body; BenchError unless the status is 200."""
        response = self.open(method, target, body, headers)
        data = response.read()
        if response.status != 200:
            raise BenchError(f"{method} {target.split('?')[0]}: HTTP {response.status} {data[:300]!r}")
        return data

    def get_json(self, path: str, params: dict) -> dict:
        return orjson.loads(self.call("GET", f"{API}{path}?{urlencode(params)}"))

    def read_into(self, response: http.client.HTTPResponse, limit: int, sink: Callable[[memoryview], object] | None) -> int:
        """Reads the body through one reused 1 MiB buffer; stops past ``limit`` bytes."""
        buffer = memoryview(bytearray(MIB))
        received = 0
        while received <= limit:
            n = response.readinto(buffer)
            if not n:
                break
            received += n
            if sink is not None:
                sink(buffer[:n])
        return received


# --- shared -------------------------------------------------------------------------------------


def full_history(fetch: Fetch, run_id: str, key: str, page: int, max_pages: int) -> list[dict]:
    """All points of a metric, following ``next_page_token`` for at most ``max_pages`` pages."""
    points: list[dict] = []
    token = None
    for _ in range(max_pages):
        params = {"run_id": run_id, "metric_key": key, "max_results": page}
        if token:
            params["page_token"] = token
        answer = fetch("/metrics/get-history", params)
        points.extend(answer.get("metrics", []))
        token = answer.get("next_page_token")
        if not token:
            return points
    raise BenchError(f"get-history: more than {max_pages} pages")


def steps_values(points: list[dict]) -> tuple[list[int], list[float]]:
    # proto3 JSON leaves out zero values, so step 0 or value 0.0 may be absent
    return [int(p.get("step", 0)) for p in points], [float(p.get("value", 0.0)) for p in points]


def parallel(base_url: str, count: int, threads: int, limit_s: float, work: Callable[[httpx.Client, int], None]) -> float:
    """Run ``work(client, i)`` for i in range(count) on ``threads`` threads, each with its own
    keep-alive client. Returns the wall time; raises BenchError on the first failure or deadline."""
    lock = threading.Lock()
    next_index = [0]
    errors: list[BaseException] = []
    stop = threading.Event()
    deadline = time.monotonic() + limit_s

    def worker() -> None:
        with make_client(base_url) as client:
            while not stop.is_set():
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= count:
                    return
                if time.monotonic() > deadline:
                    errors.append(BenchError(f"stopped at the {limit_s:.0f} s limit after {i:,} of {count:,} items"))
                    stop.set()
                    return
                try:
                    work(client, i)
                except BaseException as exc:  # noqa: BLE001 - reported by the caller
                    errors.append(exc)
                    stop.set()
                    return

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True, name=f"bench-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    try:
        for thread in pool:
            while thread.is_alive():
                thread.join(0.5)
    finally:
        stop.set()
    elapsed = time.perf_counter() - started
    if errors:
        exc = errors[0]
        raise exc if isinstance(exc, BenchError) else BenchError(f"{type(exc).__name__}: {exc}")
    return elapsed


def timed_reps(reps: int, limit_s: float, call: Callable[[], object]) -> tuple[list[float], object]:
    """Times ``call`` up to ``reps`` times within ``limit_s``; returns seconds per call and the
    first answer."""
    times: list[float] = []
    first: object = None
    deadline = time.monotonic() + limit_s
    for rep in range(reps):
        if rep and time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - t0)
        if rep == 0:
            first = answer
    return times, first


def ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000
