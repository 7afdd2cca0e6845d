"""Stateless server workers: ``cairn server --workers 4`` with 16 concurrent clients keeps the
registry and the metric store exactly right, a worker killed mid-ingest loses no acknowledged
point, and servers started at once on an empty store create its schema once.

Nothing here relies on a process-wide lock: every rule holds through the database (row locks,
unique keys, transactions). The tests run on the suite's store (``CAIRN_TEST_STORE``), so the
same checks cover SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from cairn import registry
from cairn.entities import Actor
from cairn.store import migrations
from cairn.store.database import SCHEMA_LOCK_KEY, open_database
from tests import backends

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"
WORKERS = 4
CLIENTS = 16
ROUNDS = 5
POINTS_PER_BATCH = 50
MODELS = ("alpha", "beta")
PRIVATE_WEBHOOKS = "--allow-private-webhook-targets"
STARTUP_TIMEOUT_S = 240  # four Python processes importing Cairn at once on a busy 2-core machine
# A worker dying is logged by uvicorn's supervisor; anything that ends a request in a 500 is not.
FAILURE_MARKS = ("failed with an unexpected", "Traceback", "Internal Server Error")


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, (response.status_code, response.text)
    found: dict[str, Any] = response.json()
    return found


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children started by multiprocessing's spawn
    (not its resource tracker)."""
    children: list[int] = []
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        children += [int(pid) for pid in (task / "children").read_text().split()]
    workers = []
    for pid in children:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            workers.append(pid)
    return sorted(workers)


def wait_for_workers(supervisor: int, count: int, timeout: float = 60.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while len(found := worker_pids(supervisor)) < count:
        assert time.monotonic() < deadline, f"expected {count} workers, found {found}"
        time.sleep(0.05)  # polling for process start-up
    return found


def test_sixteen_clients_on_four_workers_keep_versions_stages_aliases_metrics_and_webhooks_right(
    server_factory: Callable[..., Any], receiver: Any
) -> None:
    server = server_factory(PRIVATE_WEBHOOKS, workers=WORKERS)
    wait_for_workers(server.process.pid, WORKERS)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        experiment = ok(http.post(f"{API}/experiments/create", json={"name": "scale"}))["experiment_id"]
        shared_run = ok(http.post(f"{API}/runs/create", json={"experiment_id": experiment}))["run"]["info"]["run_id"]
        for name in MODELS:
            ok(http.post(f"{API}/registered-models/create", json={"name": name}))
        ok(http.post(f"{API}/webhooks", json={
            "name": "versions", "url": receiver.url, "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}))

    def client(index: int) -> tuple[list[tuple[str, int]], list[int]]:
        created: list[tuple[str, int]] = []
        steps: list[int] = []
        rng = random.Random(index)
        with httpx.Client(base_url=server.url, timeout=120) as http:
            own_run = ok(http.post(f"{API}/runs/create", json={"experiment_id": experiment}))["run"]["info"]["run_id"]
            for round_ in range(ROUNDS):
                name = MODELS[(index + round_) % len(MODELS)]
                version = ok(http.post(f"{API}/model-versions/create", json={
                    "name": name, "source": f"runs:/{own_run}/model", "run_id": own_run}))["model_version"]["version"]
                created.append((name, int(version)))
                promoted = rng.choice([v for m, v in created if m == name])
                ok(http.post(f"{API}/model-versions/transition-stage", json={
                    "name": name, "version": str(promoted), "stage": "Production",
                    "archive_existing_versions": True}))
                ok(http.post(f"{API}/registered-models/alias", json={
                    "name": name, "alias": "champion", "version": str(version)}))
                batch = [index * 100_000 + round_ * POINTS_PER_BATCH + j for j in range(POINTS_PER_BATCH)]
                now = int(time.time() * 1000)
                ok(http.post(f"{API}/runs/log-batch", json={"run_id": shared_run, "metrics": [
                    {"key": "loss", "value": step / 1e6, "timestamp": now, "step": step} for step in batch]}))
                steps += batch
        return created, steps

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    created = [pair for made, _ in results for pair in made]
    sent_steps = sorted(step for _, steps in results for step in steps)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for name in MODELS:
            numbers = sorted(v for m, v in created if m == name)
            assert numbers == list(range(1, len(numbers) + 1)), f"{name}: duplicate or missing numbers {numbers}"
            versions = ok(http.get(f"{API}/model-versions/search", params={
                "filter": f"name='{name}'", "max_results": 1000}))["model_versions"]
            assert sorted(int(v["version"]) for v in versions) == numbers
            stages = Counter(v["current_stage"] for v in versions)
            assert stages["Production"] == 1, f"{name}: {stages}"
            champion = ok(http.get(f"{API}/registered-models/alias", params={"name": name, "alias": "champion"}))
            assert int(champion["model_version"]["version"]) in numbers
        history = ok(http.get(f"{API}/metrics/get-history", params={"run_id": shared_run, "metric_key": "loss"}))
        assert sorted(int(p["step"]) for p in history["metrics"]) == sent_steps
        latest = ok(http.get(f"{API}/runs/get", params={"run_id": shared_run}))["run"]["data"]["metrics"]
        assert [(m["key"], int(m["step"])) for m in latest] == [("loss", sent_steps[-1])]
        # A delivery is marked DELIVERED only after its POST was answered: once all are, every
        # POST any worker made has arrived, duplicates included.
        deadline = time.monotonic() + 60
        while True:
            log_rows = ok(http.get(f"{CAIRN}/webhooks/deliveries", params={"max_results": 1000}))["deliveries"]
            if len(log_rows) == len(created) and all(d["status"] == "DELIVERED" for d in log_rows):
                break
            assert time.monotonic() < deadline, log_rows
            time.sleep(0.1)  # polling for the workers' outboxes to drain
    announced = Counter((json.loads(d.body)["data"]["model_name"], int(json.loads(d.body)["data"]["version"]))
                        for d in receiver.received)
    assert sorted(announced) == sorted(created), "every version announced"
    assert set(announced.values()) == {1}, f"announced twice: {[k for k, n in announced.items() if n > 1]}"
    log = server.log_text()
    assert not any(mark in log for mark in FAILURE_MARKS), log


def test_a_worker_killed_during_ingest_loses_no_acknowledged_point(server_factory: Callable[..., Any]) -> None:
    server = server_factory(workers=WORKERS)
    workers = wait_for_workers(server.process.pid, WORKERS)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        experiment = ok(http.post(f"{API}/experiments/create", json={"name": "ingest"}))["experiment_id"]
        run_ids = [ok(http.post(f"{API}/runs/create", json={"experiment_id": experiment}))["run"]["info"]["run_id"]
                   for _ in range(CLIENTS)]
    halfway = threading.Barrier(CLIENTS + 1)
    stop = threading.Event()

    def ingest(index: int) -> tuple[list[int], int]:
        acknowledged: list[int] = []
        failures = 0
        batch_number = 0
        # A fresh connection per batch, so batches spread over every worker, the doomed one too.
        while not stop.is_set():
            steps = [batch_number * POINTS_PER_BATCH + j for j in range(POINTS_PER_BATCH)]
            body = {"run_id": run_ids[index], "metrics": [
                {"key": "loss", "value": 1.0 / (s + 1), "timestamp": 1_700_000_000_000 + s, "step": s} for s in steps]}
            try:
                response = httpx.post(f"{server.url}{API}/runs/log-batch", json=body, timeout=60)
                if response.status_code == 200:
                    acknowledged += steps
                else:
                    assert response.status_code != 500, response.text
                    failures += 1
            except httpx.TransportError:
                failures += 1  # the killed worker's connections: no answer, no promise
            batch_number += 1
            if batch_number == 5:
                halfway.wait(timeout=120)
        return acknowledged, failures

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(ingest, i) for i in range(CLIENTS)]
        halfway.wait(timeout=120)
        victim = random.Random(7).choice(workers)
        os.kill(victim, signal.SIGKILL)
        time.sleep(2.0)  # ingest goes on across the kill and the supervisor's restart
        stop.set()
        results = [f.result(timeout=300) for f in futures]

    with httpx.Client(base_url=server.url, timeout=60) as http:
        for run_id, (acknowledged, _) in zip(run_ids, results, strict=True):
            history = ok(http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}))
            stored = {int(p["step"]) for p in history.get("metrics", [])}
            assert set(acknowledged) <= stored, f"lost {sorted(set(acknowledged) - stored)[:10]}..."
            assert len(stored) % POINTS_PER_BATCH == 0  # a batch is stored whole or not at all
    assert sum(len(a) for a, _ in results) > CLIENTS * 5 * POINTS_PER_BATCH
    deadline = time.monotonic() + 60
    while f"Child process [{victim}] died" not in (log := server.log_text()):  # the supervisor noticed
        assert time.monotonic() < deadline, log
        time.sleep(0.1)  # polling the supervisor's log
    assert not any(mark in log for mark in FAILURE_MARKS), log


def mapped_files(pid: int) -> set[str]:
    """The files mapped into ``pid``'s memory: its interpreter and every compiled module it loaded."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {parts[5] for line in lines if len(parts := line.split(maxsplit=5)) == 6}


def test_the_supervisor_of_several_workers_keeps_nothing_of_the_store_in_memory(
    server_factory: Callable[..., Any],
) -> None:
    """``cairn server --workers 2`` opens and migrates the store, then becomes uvicorn's bare
    supervisor (same pid): SQLAlchemy's compiled extensions are mapped in each worker, not in it."""
    server = server_factory(workers=2)
    workers = wait_for_workers(server.process.pid, 2)
    command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"cairn.server.supervisor" in command, command

    def sqlalchemy_modules(pid: int) -> set[str]:
        return {path for path in mapped_files(pid) if "/sqlalchemy/" in path and path.endswith(".so")}

    assert not sqlalchemy_modules(server.process.pid)
    for pid in workers:
        assert sqlalchemy_modules(pid), f"worker {pid} has no SQLAlchemy extension mapped: the check proves nothing"
    with httpx.Client(base_url=server.url, timeout=60) as http:
        assert ok(http.post(f"{API}/experiments/create", json={"name": "after-exec"}))["experiment_id"]


def test_deliveries_left_in_the_outbox_go_out_when_a_server_starts_without_a_new_change(
    server_factory: Callable[..., Any], receiver: Any, tmp_path: Path
) -> None:
    # Queued by a process that stopped before sending (no worker of its own ran): the outbox row is
    # the only copy of the event, and a server's workers pick it up from start-up.
    store = backends.new_store(tmp_path)
    db = open_database(store[0])
    try:
        registry.create_webhook(db, receiver.url, Actor("ops"), ["registered_model.created"], allow_private=True)
        registry.create_registered_model(db, "queued-before-start", Actor("ops"))
    finally:
        db.close()

    server_factory(PRIVATE_WEBHOOKS, workers=2, store=store)

    (request,) = receiver.wait_for(1, timeout=60)
    assert json.loads(request.body)["data"]["model_name"] == "queued-before-start"


@contextlib.contextmanager
def schema_lock_held(store_uri: str) -> Iterator[Callable[[], int]]:
    """Hold the lock a store's schema is created under (as a process migrating it would) and
    yield a function counting the processes waiting for it."""
    if store_uri.startswith("sqlite:///"):
        lock_file = Path(store_uri[len("sqlite:///"):] + ".lock")
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        inode = f":{os.fstat(fd).st_ino} "

        def waiting() -> int:  # blocked requests are the "->" lines of /proc/locks
            return sum(1 for line in Path("/proc/locks").read_text().splitlines() if "->" in line and inode in line)

        try:
            yield waiting
        finally:
            os.close(fd)
        return
    url = sa.make_url(store_uri)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))

        def waiting() -> int:
            row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                               "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
            return int(row.fetchone()[0])

        yield waiting


def start_servers(store: tuple[str, Path], root: Path, count: int) -> list[tuple[str, subprocess.Popen[bytes], Path]]:
    """``count`` separate ``cairn server`` processes over one store, started together, not waited for."""
    started = []
    for index in range(count):
        port, log_path = free_port(), root / f"server-{index}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "cairn.server.run", "--port", str(port), "--backend-store-uri", store[0],
                 "--artifacts-destination", str(store[1])], stdout=log, stderr=subprocess.STDOUT)
        started.append((f"http://127.0.0.1:{port}", process, log_path))
    return started


def test_servers_started_at_once_on_an_empty_store_all_serve_and_create_its_schema_once(tmp_path: Path) -> None:
    store = backends.new_store(tmp_path, migrated=False)
    servers: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    try:
        with schema_lock_held(store[0]) as waiting:
            servers = start_servers(store, tmp_path, WORKERS)
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while waiting() < WORKERS:  # all found no schema and queue for its lock: a true race
                assert time.monotonic() < deadline, f"only {waiting()} servers waiting for the schema lock"
                assert all(p.poll() is None for _, p, _ in servers), [log.read_text() for _, _, log in servers]
                time.sleep(0.05)  # polling the lock's waiters
        for index, (url, process, log_path) in enumerate(servers):
            while True:  # each is up once the schema exists
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline + STARTUP_TIMEOUT_S, log_path.read_text()
                try:
                    created = httpx.post(f"{url}{API}/experiments/create", json={"name": f"from-{index}"}, timeout=60)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)  # polling for readiness
            assert created.status_code == 200, created.text
    finally:
        for _, process, _ in servers:
            process.terminate()
            process.wait(timeout=60)
    engine = sa.create_engine(store[0])
    try:
        with engine.connect() as conn:
            revisions = list(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
            defaults = conn.scalar(sa.text("SELECT count(*) FROM experiments WHERE name = 'Default'"))
            made = sorted(conn.scalars(sa.text("SELECT name FROM experiments WHERE name LIKE 'from-%'")))
    finally:
        engine.dispose()
        backends.drop_store(store[0])
    assert revisions == [migrations.HEAD] and defaults == 1
    assert made == [f"from-{index}" for index in range(WORKERS)]
    for _, _, log_path in servers:
        log = log_path.read_text()
        assert "upgrading" not in log and not any(mark in log for mark in FAILURE_MARKS), log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
