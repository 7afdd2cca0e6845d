"""Start and stop the servers under test, and measure the memory of their process trees.

Each server runs in its own session (so its process group id is its pid) with a fresh temporary
folder for its database, artifacts and log. ``stop()`` signals that process group only.
RSS is read from ``/proc``: the tree is walked through ``/proc/<pid>/task/*/children`` and the
``VmRSS`` of every process is summed (pages shared between forked workers count once per process).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from host import free_port, stop_process_group

HOST = "127.0.0.1"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0


class ServerError(RuntimeError):
    """The server did not start or died."""


def mlflow_executable() -> str:
    beside = Path(sys.executable).parent / "mlflow"
    if beside.exists():
        return str(beside)
    found = shutil.which("mlflow")
    if not found:
        raise ServerError("the `mlflow` command is not installed (pip install mlflow)")
    return found


def fml_executable() -> str:
    """FastTrackML's ``fml`` binary (the ``fasttrackml`` wheel puts it beside the interpreter)."""
    beside = Path(sys.executable).parent / "fml"
    if beside.exists():
        return str(beside)
    found = shutil.which("fml")
    if not found:
        raise ServerError("the `fml` command is not installed (pip install fasttrackml==0.6.0)")
    return found


def server_command(kind: str, port: int, folder: Path, workers: int, store_uri: str | None = None,
                   artifacts: str | None = None) -> tuple[list[str], dict[str, str]]:  # fmt: skip
    """argv and extra environment for ``kind`` ('mlflow', 'fasttrackml' or 'cairn').

    By default each server keeps its metadata in a SQLite file and its artifacts in a folder, both
    in ``folder``; ``store_uri`` (a SQLAlchemy URL, e.g. ``postgresql+psycopg://...``) and
    ``artifacts`` (e.g. ``s3://bucket/prefix``) replace them for MLflow and Cairn.
    FastTrackML is one Go process (it has no worker count); it hands out file:// artifact URIs
    and does not proxy artifacts."""
    env = {"PYTHONUNBUFFERED": "1"}
    if kind == "mlflow":
        env |= {
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
        }
        argv = [
            mlflow_executable(), "server",
            "--host", HOST, "--port", str(port),
            "--backend-store-uri", store_uri or f"sqlite:///{folder / 'mlflow.db'}",
            "--serve-artifacts", "--artifacts-destination", artifacts or str(folder / "artifacts"),
            "--workers", str(workers),
        ]  # fmt: skip
    elif kind == "fasttrackml":
        argv = [
            fml_executable(), "server",
            "--listen-address", f"{HOST}:{port}",
            "--database-uri", f"sqlite://{folder / 'fml.db'}",
            "--default-artifact-root", str(folder / "artifacts"),
            "--log-level", "warning",
        ]  # fmt: skip
    elif kind == "cairn":
        env |= {"CAIRN_CAPTURE": "none"}
        argv = [
            sys.executable, "-m", "cairn.server.run",
            "--host", HOST, "--port", str(port),
            "--backend-store-uri", store_uri or f"sqlite:///{folder / 'cairn.db'}",
            "--artifacts-destination", artifacts or str(folder / "artifacts"),
            "--workers", str(workers), "--log-level", "warning",
        ]  # fmt: skip
    else:
        raise ValueError(kind)
    return argv, env


@dataclass
class Server:
    kind: str
    workers: int
    keep_folder: bool = False
    store_uri: str | None = None  # default: a SQLite file in the folder
    artifacts: str | None = None  # default: a folder in the folder
    env: dict[str, str] = field(default_factory=dict)  # e.g. the AWS variables for an S3 destination
    port: int = 0
    folder: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    _log: object = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"bench-{self.kind}-"))
        self.port = free_port()
        argv, extra_env = server_command(self.kind, self.port, self.folder, self.workers, self.store_uri, self.artifacts)
        self._log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=self.folder, env={**os.environ, **self.env, **extra_env},
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise ServerError(f"{self.kind} server exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.25)
        raise ServerError(f"{self.kind} server not healthy after {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 25) -> str:
        if self.folder is None or not (self.folder / "server.log").exists():
            return ""
        text = (self.folder / "server.log").read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self) -> None:
        """Stop the whole process group (TERM, then KILL), then remove the folder."""
        if self.proc is not None:
            stop_process_group(self.proc, STOP_TIMEOUT_S)
            self.proc = None
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None
        if self.folder is not None and not self.keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


# --- memory -------------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    seen: list[int] = []
    todo = [root]
    while todo and len(seen) < 1000:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
            except OSError:
                continue
    return seen


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    return sum(rss_bytes(pid) for pid in process_tree(root))


class RssSampler:
    """Samples the tree's RSS every ``interval`` seconds on a daemon thread; keeps the peak."""

    def __init__(self, root: int, interval: float = 0.1, max_seconds: float = 6 * 3600) -> None:
        self.root = root
        self.interval = interval
        self.max_seconds = max_seconds
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.peak = max(self.peak, tree_rss_bytes(self.root))
            self.samples += 1
            self._stop.wait(self.interval)


def idle_rss_bytes(root: int, settle_s: float = 3.0, samples: int = 5) -> int:
    """Median tree RSS after ``settle_s`` seconds with no traffic."""
    time.sleep(settle_s)
    values = []
    for _ in range(samples):
        values.append(tree_rss_bytes(root))
        time.sleep(0.1)
    values.sort()
    return values[len(values) // 2]
