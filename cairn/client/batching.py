"""The background batching logger that keeps ``log_metric`` off the caller's I/O path.

``log_metric`` appends a tuple to a deque (thread-safe, lock-free for appends) and returns; one
daemon thread drains the deque every ``linger`` seconds, or as soon as a full batch is waiting,
and sends log-batch calls of at most 1000 points per run. ``flush()`` waits until everything
queued before it has been sent. A failed send is kept and raised by the next ``log_metric`` or
``flush`` on any thread, so an error is never lost silently.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence

from cairn.entities import Metric
from cairn.errors import CairnError
from cairn.tracking.validation import MAX_METRICS_PER_BATCH

SendBatch = Callable[[str, Sequence[Metric]], None]
# A batch is one log-batch request: as many points as one may carry.
MAX_POINTS_PER_BATCH = MAX_METRICS_PER_BATCH


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class BatchingLogger:
    def __init__(self, send: SendBatch, linger: float = 0.05) -> None:
        self._send = send
        self._linger = linger
        self._queue: deque[tuple[str, str, float, int, int] | _Flush] = deque()
        self._wake = threading.Event()
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        if self._error is not None:
            self._raise_pending()
        if self._thread is None:
            self._start()
        queue = self._queue
        queue.append((run_id, key, value, timestamp, step))
        if len(queue) >= MAX_POINTS_PER_BATCH:
            self._wake.set()

    def flush(self) -> None:
        """Send everything queued so far; raise the first error any send met."""
        if self._thread is not None and self._thread.is_alive():
            marker = _Flush()
            self._queue.append(marker)
            self._wake.set()
            marker.done.wait()
        elif self._queue:
            self._drain()
        if self._error is not None:
            self._raise_pending()

    def close(self) -> None:
        self._closed = True
        try:
            self.flush()
        finally:
            self._wake.set()

    def _raise_pending(self) -> None:
        with self._lock:
            error, self._error = self._error, None
        if error is not None:
            if isinstance(error, CairnError):
                raise type(error)(f"A background metric batch failed: {error.message}") from error
            raise error

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cairn-metric-logger", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._linger)
            self._wake.clear()
            self._drain()
        self._drain()

    def _drain(self) -> None:
        queue = self._queue
        pending: dict[str, list[Metric]] = {}
        while queue:
            try:
                item = queue.popleft()
            except IndexError:
                break
            if isinstance(item, _Flush):
                self._send_all(pending)
                pending = {}
                item.done.set()
                continue
            run_id, key, value, timestamp, step = item
            points = pending.setdefault(run_id, [])
            points.append(Metric(key, value, timestamp, step))
            if len(points) >= MAX_POINTS_PER_BATCH:
                self._send_one(run_id, points)
                pending[run_id] = []
        self._send_all(pending)

    def _send_all(self, pending: dict[str, list[Metric]]) -> None:
        for run_id, points in pending.items():
            if points:
                self._send_one(run_id, points)

    def _send_one(self, run_id: str, points: list[Metric]) -> None:
        try:
            self._send(run_id, points)
        except BaseException as exc:  # kept and re-raised on the caller's thread
            with self._lock:
                if self._error is None:
                    self._error = exc
