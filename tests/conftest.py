"""Shared fixtures: a real store (SQLite in a temp folder, or PostgreSQL with CAIRN_TEST_STORE=postgresql:
see ``tests/backends.py``), real `cairn server` subprocesses on free 127.0.0.1 ports, the SDK pointed at
either (the SDK suite runs against both backends), and a real HTTP receiver on 127.0.0.1 for webhooks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from cairn.client import fluent, tracking_uri
from cairn.store.database import Database, open_database
from tests import backends

SQLITE_ONLY = "sqlite_only"
STORE_INDEPENDENT = "store_independent"


# The modules that take longest (measured with --durations), longest first. make test hands whole
# modules to its processes in collection order: these start first, so none of them is still running
# alone at the end while the other processes sit idle. The others follow, those with the most tests
# first (pytest-xdist's own order, which would put these few-test modules last).
LONGEST_MODULES = (
    "tests/serving/test_env_manager.py",
    "tests/scale/test_scale_demo.py",  # make test-postgres only
    "tests/reproduce/test_reproduce_local.py",  # make test only, like the rest of tests/reproduce
    "tests/server/test_mlflow_registry_conformance.py",
    "tests/reproduce/test_reproduce_venv.py",
    "tests/importer/test_mlflow_import.py",
    "tests/importer/test_resume.py",
    "tests/artifacts/test_contract.py",
    "tests/serving/test_traffic.py",
    "tests/scale/test_workers.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # A wrong CAIRN_TEST_STORE, or PostgreSQL asked for but not installed, stops the session
    # before any test: it must never pass without having run on the store it was asked for.
    backends.check_store_backend()
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist: keep the order set below
        config.option.loadscopereorder = False


def _longest_first(items: list[pytest.Item]) -> None:
    counts: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        counts[module] = counts.get(module, 0) + 1
    rank = {module: place for place, module in enumerate(LONGEST_MODULES)}

    def key(item: pytest.Item) -> tuple[int, int]:
        module = item.nodeid.split("::", 1)[0]
        return rank.get(module, len(rank)), -counts[module]

    items.sort(key=key)  # stable: a module's own tests keep their order


def _reason(marker: pytest.Mark) -> str:
    return str(marker.kwargs.get("reason") or marker.args[0])


def _one_pass_skip(marker: pytest.Mark) -> pytest.MarkDecorator | None:
    """The skip of a ``store_independent`` test outside its pass (``runs_in``: ``sqlite``, the
    default, for ``make test``; ``postgresql`` for ``make test-postgres``). CI runs both passes,
    so the test still runs once, where the skip reason says."""
    runs_in = marker.kwargs.get("runs_in", backends.SQLITE)
    if runs_in not in (backends.SQLITE, backends.POSTGRESQL):
        raise pytest.UsageError(f"store_independent(runs_in={runs_in!r}): use {backends.SQLITE} or {backends.POSTGRESQL}")
    if runs_in == backends.store_backend():
        return None
    where = "make test (CAIRN_TEST_STORE=sqlite)" if runs_in == backends.SQLITE else (
        "make test-postgres (CAIRN_TEST_STORE=postgresql)")
    return pytest.mark.skip(reason=f"does not touch the store under test, so it runs once, in {where}: {_reason(marker)}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _longest_first(items)
    for item in items:
        one_pass, sqlite_only = item.get_closest_marker(STORE_INDEPENDENT), item.get_closest_marker(SQLITE_ONLY)
        if one_pass is not None and sqlite_only is not None and one_pass.kwargs.get("runs_in") == backends.POSTGRESQL:
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only and store_independent(runs_in='postgresql') "
                                    "together would skip it in both passes")
        skip = _one_pass_skip(one_pass) if one_pass is not None else None
        if skip is not None:
            item.add_marker(skip)
        if sqlite_only is not None and backends.on_postgres():
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {_reason(sqlite_only)}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """A ``store_independent`` test that asks for the store under test, in its setup, body or
    teardown, fails: its mark would otherwise hide a pass it needs."""
    if item.get_closest_marker(STORE_INDEPENDENT) is None:
        yield
        return
    with backends.store_free(item.nodeid):
        yield


@pytest.fixture(scope="session", autouse=True)
def postgres_session() -> Iterator[None]:
    """With CAIRN_TEST_STORE=postgresql, the session's PostgreSQL cluster: started before the first
    test (a missing installation fails the session, never skips it) and stopped at the end."""
    if not backends.on_postgres():
        yield
        return
    backends.postgres_cluster()
    try:
        yield
    finally:
        backends.stop_postgres()

# Real servers the suite starts on demand (S3: SeaweedFS), with their fixtures and stop hooks.
pytest_plugins = ["tests.servers.seaweedfs"]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    uri, _ = backends.new_store(tmp_path)
    database = open_database(uri)
    yield database
    database.close()
    backends.drop_store(uri)


@pytest.fixture(params=["embedded", "server"])
def store_dir(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fluent SDK pointed at a fresh store, with capture off for speed: first the embedded
    store, then a real `cairn server` subprocess over its own store (the REST backend)."""
    from tests.servers.seaweedfs import artifacts_destination

    folder = tmp_path / "store"
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    monkeypatch.setenv(tracking_uri.ENV_ARTIFACTS_ROOT, artifacts_destination(folder / "artifacts"))
    server = start_server(tmp_path / "server", PRIVATE_WEBHOOKS) if request.param == "server" else None
    with contextlib.ExitStack() as stack:
        fluent.set_tracking_uri(server.url if server else stack.enter_context(backends.embedded_store(folder)))
        try:
            yield folder
            while fluent.active_run() is not None:
                fluent.end_run()
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()
            if server is not None:
                stop_server(server)


# Limits only (a quiet machine starts a server in a couple of seconds); a machine running several
# suites at once has been seen to need over a minute to start one, or to stop one.
STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 60
# Test servers send webhooks to a receiver on 127.0.0.1, which only an operator's flag allows.
PRIVATE_WEBHOOKS = "--allow-private-webhook-targets"


@dataclass
class ServerProcess:
    url: str
    root: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    store_uri: str
    artifacts_uri: str = ""  # what --artifacts-destination named: a folder, or s3://bucket/prefix

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, *extra: str, workers: int = 1, store: tuple[str, Path] | None = None) -> ServerProcess:
    """``cairn server`` on a fresh store (``backends.new_store``), or on ``store`` (its URI and
    artifact folder) when a test made one beforehand."""
    from tests.servers.seaweedfs import artifacts_destination  # a plugin: imported once pytest rewrote it

    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = root / "server.log"
    store_uri, artifacts = store or backends.new_store(root)
    destination = str(artifacts) if store else artifacts_destination(artifacts)
    command = [
        sys.executable, "-m", "cairn.server.run", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", store_uri,
        "--artifacts-destination", destination,
        "--workers", str(workers), *extra,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(f"http://127.0.0.1:{port}", root, log_path, process, store_uri, destination)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"cairn server exited with {process.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"cairn server did not answer /health:\n{server.log_text()}")
        time.sleep(0.05)  # polling for readiness, not ordering test steps


def start_serve(tracking_uri: str | Path, name: str, log_dir: Path, *options: str) -> Iterator[str]:
    """Run `cairn serve NAME` over ``tracking_uri`` (a store folder or a server URL) until the
    generator is closed; yields its URL. The log must hold no traceback when it stops."""
    port = _free_port()
    log_path = log_dir / f"serve-{port}.log"
    env = {**os.environ, "CAIRN_TRACKING_URI": str(tracking_uri)}
    command = [sys.executable, "-m", "cairn.cli", "serve", name, "--port", str(port), *options]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(url + "/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)  # polling for readiness, not ordering test steps
        yield url
    finally:
        process.terminate()
        process.wait(timeout=STOP_TIMEOUT_S)
    assert "Traceback" not in log_path.read_text()


@pytest.fixture(scope="session")
def serve_launcher() -> Callable[..., Iterator[str]]:
    """``start_serve`` for tests outside this folder's conftest (a generator: iterate it once)."""
    return start_serve


def stop_server(server: ServerProcess) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    backends.drop_store(server.store_uri)


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServerProcess]]:
    """Start extra servers (e.g. ``workers=2``); each is stopped, and its log checked, at the end."""
    started: list[ServerProcess] = []

    def start(*extra: str, workers: int = 1, store: tuple[str, Path] | None = None) -> ServerProcess:
        process = start_server(tmp_path_factory.mktemp("cairn-extra-server"), *extra, workers=workers, store=store)
        started.append(process)
        return process

    yield start
    for process in started:
        stop_server(process)
    for process in started:
        log = process.log_text()
        # No request of the suite may end in a 500: the handler logs each one.
        assert "failed with an unexpected" not in log, log
        assert "Traceback" not in log, log


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records POSTs and answers with queued statuses."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            target = box[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with target.arrived:
                status = target.statuses.pop(0) if target.statuses else 200
                target.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                target.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()
    thread.join()
