"""The shadow arm: a copy of each request, predicted on a thread of its own after the response
is on its way. Its output and errors go to the prediction log only, never to the caller; a slow
shadow cannot hold up the primary because at most ``max_pending`` copies wait, and the copies
beyond that are dropped and counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cairn.registry.predictions import MAX_ERROR_LENGTH

from .deployment import Arm, Deployment
from .prediction_log import PredictionLogger, Served
from .scoring import prediction_rows

DEFAULT_MAX_PENDING = 256


class ShadowRunner:
    def __init__(self, log: PredictionLogger | None, new_id: Callable[[], str], now_ms: Callable[[], int],
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self._log = log
        self._new_id = new_id
        self._now_ms = now_ms
        self._max_pending = max_pending
        self._pending = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-shadow")
        self.dropped = 0
        self.failed = 0

    def submit(self, deployment: Deployment, arm: Arm, data: Any, payload: Any, request_id: str, rows: int) -> bool:
        """Queue a copy of a request for ``arm``; False (counted) when too many already wait."""
        with self._lock:
            if self._pending >= self._max_pending:
                self.dropped += 1
                return False
            self._pending += 1
        self._pool.submit(self._run, deployment, arm, data, payload, request_id, rows)
        return True

    def stats(self) -> dict[str, int]:
        return {"pending": self._pending, "dropped": self.dropped, "failed": self.failed}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, deployment: Deployment, arm: Arm, data: Any, payload: Any, request_id: str, rows: int) -> None:
        started = time.perf_counter()
        error: str | None = None
        outputs: Sequence[Any] = ()
        flags = None
        try:
            flags = arm.ranges.check(data) if arm.ranges is not None else None
            outputs = prediction_rows(arm.model.predict(deployment.prepare(arm, data), deployment.extra_columns))
        except Exception as exc:  # a shadow's failure is measured, never raised
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
            with self._lock:
                self.failed += 1
        finally:
            with self._lock:
                self._pending -= 1
        if self._log is not None:
            latency = (time.perf_counter() - started) * 1000
            self._log.submit(Served(self._now_ms(), request_id, deployment.model_name, arm.name, arm.version,
                                    payload, None, outputs, [self._new_id() for _ in range(rows)], latency, error,
                                    flags))
