"""Start and stop the scoring servers under test: ``cairn serve`` and ``mlflow models serve``.

Each server runs in its own session (its process group id is its pid), so ``stop()`` reaches the
workers it forks too: ``mlflow models serve`` execs uvicorn in a child process. Output goes to a
log file in the server's folder; ``TMPDIR`` points there as well, so the copies of the model a
server unpacks are removed with the folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from host import free_port, stop_process_group

HOST = "127.0.0.1"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0


class StartError(RuntimeError):
    """The server exited or did not answer /ping in time; the message ends with its log."""


def cairn_serve(name: str, store: Path, folder: Path, prediction_log: bool) -> ServeProcess:
    """``cairn serve NAME`` over the embedded store; ``CAIRN_PREDICTION_LOG=off`` when
    ``prediction_log`` is false (a server that predates the option ignores it)."""
    port = free_port()
    argv = [sys.executable, "-m", "cairn.cli", "serve", name, "--port", str(port), "--host", HOST]
    env = {"CAIRN_TRACKING_URI": str(store), "CAIRN_CAPTURE": "none",
           "CAIRN_PREDICTION_LOG": "on" if prediction_log else "off"}  # fmt: skip
    return ServeProcess(argv, env, folder, port)


def mlflow_serve(package: Path, folder: Path) -> ServeProcess:
    """``mlflow models serve`` on the package folder, in this interpreter's environment."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    mlflow = bin_dir / "mlflow"
    argv = [str(mlflow), "models", "serve", "-m", str(package), "--env-manager", "local",
            "--host", HOST, "--port", str(port)]  # fmt: skip
    # mlflow runs `exec uvicorn ...` through bash, so the venv's bin folder must be on PATH as it
    # would be in an activated environment
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}  # fmt: skip
    return ServeProcess(argv, env, folder, port)


@dataclass
class ServeProcess:
    argv: list[str]
    env: dict[str, str]
    folder: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def start(self) -> None:
        """Start the process and wait for ``GET /ping``; ``StartError`` if it never answers."""
        if not Path(self.argv[0]).exists():
            raise StartError(f"{self.argv[0]} is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.folder), **self.env}
        self.proc = subprocess.Popen(self.argv, cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise StartError(f"exited with code {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/ping").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)  # polling for readiness
        raise StartError(f"no answer on /ping after {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])

    def log_has_traceback(self) -> bool:
        return self.log_path.exists() and "Traceback" in self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """TERM the process group, KILL it if still there after ``STOP_TIMEOUT_S``."""
        if self.proc is not None:
            stop_process_group(self.proc, STOP_TIMEOUT_S)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


