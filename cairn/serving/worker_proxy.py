"""The server's side of a model worker (``model_worker``): a ``Predictor`` that sends each input
to the worker process running the version in its own environment, and reads the answer back.

One request at a time per worker (a lock around the pipe); a worker that does not answer within
``PREDICT_TIMEOUT_S``, or exits, fails the request with a message saying so. ``close`` ends it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

from cairn.client.environments import BuiltEnvironment
from cairn.errors import CairnError

from .model_worker import encode_input

START_TIMEOUT_S = 300.0
PREDICT_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0
_CLOSED = object()


class WorkerFailed(CairnError):
    """The model's worker process could not start, exited, or did not answer in time."""


class WorkerPredictor:
    """``predict`` in a worker process inside ``environment``, for the package in ``folder``."""

    def __init__(self, environment: BuiltEnvironment, folder: Path, label: str) -> None:
        self.label = label
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [str(environment.python), "-m", "cairn.serving.model_worker", str(folder)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", env=environment.env(),
        )
        self._lines: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._read, name=f"cairn-worker-{label}", daemon=True).start()
        hello = self._next(START_TIMEOUT_S, "start")
        if not hello.get("ready"):
            self.close()
            raise WorkerFailed(f"Model {label} could not be loaded in its environment: {hello.get('error')}")

    def predict(self, data: Any) -> list[Any]:
        message = json.dumps(encode_input(data), allow_nan=True, default=str)
        with self._lock:
            if self._process.poll() is not None or self._process.stdin is None:
                raise WorkerFailed(f"The worker of model {self.label} has exited (code {self._process.returncode}).")
            try:
                self._process.stdin.write(message + "\n")
                self._process.stdin.flush()
            except OSError:
                raise WorkerFailed(f"The worker of model {self.label} has exited.") from None
            reply = self._next(PREDICT_TIMEOUT_S, "answer")
        if not reply.get("ok"):
            raise ValueError(reply.get("error") or "the model failed")
        return list(reply["rows"])

    def close(self) -> None:
        if self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _read(self) -> None:
        assert self._process.stdout is not None
        try:
            for line in self._process.stdout:
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        self._lines.put(_CLOSED)

    def _next(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise WorkerFailed(f"The worker of model {self.label} did not {what} within {timeout:.0f} s.") from None
        if line is _CLOSED:
            self._lines.put(_CLOSED)
            raise WorkerFailed(f"The worker of model {self.label} exited (code {self._process.poll()}); "
                               "its error is in the server's log.")
        return json.loads(line)  # type: ignore[no-any-return]
