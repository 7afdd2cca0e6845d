"""Writing the prediction log off the request path.

A request hands ``PredictionLogger.submit`` one ``Served`` entry (a few references, no copying)
and returns. A background thread turns entries into rows (features, output, version, arm,
latency) and writes them in batches through the tracking client. The queue is bounded: when the
store falls behind and it fills, new entries are dropped and counted, never blocking a request.
``stats()`` reports what was accepted, written, dropped and failed; ``/metadata`` shows it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger("cairn.serving")

DEFAULT_MAX_PENDING = 10_000  # entries (requests) waiting to be written
BATCH_ROWS = 2_000
FLUSH_INTERVAL_S = 0.2
RETRIES = 3


@dataclass(frozen=True)
class Served:
    """What one arm did with (some rows of) one request. ``data`` is the request: its scoring
    payload (a dict, turned into rows only on the log's thread) or already its rows."""

    timestamp: int
    request_id: str
    model_name: str
    arm: str
    version: str
    data: Any
    rows: Sequence[int] | None
    outputs: Sequence[Any]
    prediction_ids: Sequence[str]
    latency_ms: float
    error: str | None = None
    flags: Sequence[Any] | None = None  # per row answered: the range flags (None: no row flagged)

    def records(self) -> list[dict[str, Any]]:
        features = self.features()
        indices = list(self.rows) if self.rows is not None else list(range(len(self.prediction_ids)))
        records = []
        for n, (index, prediction_id) in enumerate(zip(indices, self.prediction_ids)):
            records.append({
                "prediction_id": prediction_id, "request_id": self.request_id, "row_index": index,
                "timestamp": self.timestamp, "model_name": self.model_name, "version": int(self.version),
                "arm": self.arm, "features": features[index] if index < len(features) else None,
                "output": self.outputs[n] if n < len(self.outputs) else None,
                "latency_ms": self.latency_ms, "error": self.error,
                "flags": (self.flags[n] or None) if self.flags is not None and n < len(self.flags) else None,
            })
        return records

    def features(self) -> list[Any]:
        if isinstance(self.data, dict):  # a decoded JSON payload: its values are JSON already
            from .scoring import payload_rows

            return payload_rows(self.data)
        return _feature_rows(self.data)


class PredictionLogger:
    """Batches ``Served`` entries into ``sink(rows)`` calls from one background thread."""

    def __init__(self, sink: Callable[[list[dict[str, Any]]], Any], max_pending: int = DEFAULT_MAX_PENDING,
                 batch_rows: int = BATCH_ROWS, interval_s: float = FLUSH_INTERVAL_S) -> None:
        self._sink = sink
        self._max_pending = max_pending
        self._batch_rows = batch_rows
        self._interval = interval_s
        self._queue: deque[Served] = deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._counts = {"accepted": 0, "written": 0, "dropped": 0, "failed": 0}
        self._submitting = threading.Lock()  # requests and the shadow thread both submit
        self._thread = threading.Thread(target=self._run, name="cairn-prediction-log", daemon=True)
        self._thread.start()

    def submit(self, entry: Served) -> bool:
        """Queue ``entry``; False (and counted as dropped) when the queue is full."""
        with self._submitting:
            if len(self._queue) >= self._max_pending:
                self._counts["dropped"] += len(entry.prediction_ids)
                return False
            self._queue.append(entry)
            self._counts["accepted"] += len(entry.prediction_ids)
            return True

    def stats(self) -> Mapping[str, int]:
        return {**self._counts, "queued": sum(len(e.prediction_ids) for e in list(self._queue))}

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued so far is written (or given up); False on timeout."""
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        with self._idle:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.set()
                self._idle.wait(min(left, 0.05))
        return True

    def close(self, timeout_s: float = 30.0) -> None:
        self.flush(timeout_s)
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            while self._queue:
                with self._idle:
                    self._busy = True
                batch = self._take()
                self._write(batch)
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()
            with self._idle:
                self._idle.notify_all()

    def _take(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while self._queue and len(rows) < self._batch_rows:
            entry = self._queue.popleft()
            try:
                rows.extend(entry.records())
            except Exception:  # a model output the log cannot hold must not stop the log
                _log.exception("could not record a prediction")
                self._counts["failed"] += len(entry.prediction_ids)
        return rows

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        for attempt in range(RETRIES):
            try:
                self._sink(rows)
                self._counts["written"] += len(rows)
                return
            except Exception as exc:
                if attempt == RETRIES - 1:
                    _log.error("prediction log: %d rows not written: %s", len(rows), exc)
                    self._counts["failed"] += len(rows)
                    return
                time.sleep(0.1 * 2**attempt)


def _feature_rows(data: Any) -> list[Any]:
    """One JSON-ready value per input row."""
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return [_plain_row(row) for row in data.to_dict(orient="records")]
    if isinstance(data, list):
        return [_plain_row(row) for row in data]
    return [_plain_row(data)]


def _plain_row(row: Any) -> Any:
    from .scoring import plain

    return plain(row)
