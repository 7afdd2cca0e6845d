"""A real ``python -m cairn.server.run`` subprocess per session on a free 127.0.0.1 port, with a
fresh store in a temp folder, plus helpers to create experiments and runs through its API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# The mlflow client phones home unless told not to; tests must not touch the network.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

API = "/api/2.0/mlflow"
# The session server takes JSON bodies up to 1 MiB so the limit is cheap to test.
TEST_BODY_LIMIT = 1024 * 1024
STARTUP_TIMEOUT_S = 60


@dataclass
class ServerProcess:
    url: str
    root: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, *extra: str, workers: int = 1) -> ServerProcess:
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = root / "server.log"
    command = [
        sys.executable, "-m", "cairn.server.run", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", str(root / "store"), "--artifacts-destination", str(root / "artifacts"),
        "--workers", str(workers), *extra,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(f"http://127.0.0.1:{port}", root, log_path, process)
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


def stop_server(server: ServerProcess) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("cairn-server"), "--max-body-bytes", str(TEST_BODY_LIMIT))
    yield process
    stop_server(process)
    log = process.log_text()
    # No request of the suite may end in a 500: the handler logs each one.
    assert "failed with an unexpected" not in log, log
    assert "Traceback" not in log, log


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServerProcess]]:
    """Start extra servers (e.g. ``workers=2``); each is stopped, and its log checked, at the end."""
    started: list[ServerProcess] = []

    def start(*extra: str, workers: int = 1) -> ServerProcess:
        process = start_server(tmp_path_factory.mktemp("cairn-extra-server"), *extra, workers=workers)
        started.append(process)
        return process

    yield start
    for process in started:
        stop_server(process)
    for process in started:
        assert "Traceback" not in process.log_text(), process.log_text()


@pytest.fixture(scope="session")
def server_url(server: ServerProcess) -> str:
    return server.url


@pytest.fixture(scope="session")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture
def new_experiment(http: httpx.Client) -> Callable[..., str]:
    def create(**fields: object) -> str:
        body = {"name": f"exp-{uuid.uuid4().hex[:12]}", **fields}
        response = http.post(f"{API}/experiments/create", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["experiment_id"])

    return create


@pytest.fixture
def new_run(http: httpx.Client, new_experiment: Callable[..., str]) -> Callable[..., dict[str, object]]:
    """Create a run (in a new experiment unless one is given) and return its info."""

    def create(experiment_id: str | None = None, **fields: object) -> dict[str, object]:
        body = {"experiment_id": experiment_id or new_experiment(), **fields}
        response = http.post(f"{API}/runs/create", json=body)
        assert response.status_code == 200, response.text
        info: dict[str, object] = response.json()["run"]["info"]
        return info

    return create
