"""Whether a version predicts on the event loop or on a worker thread.

Handing a call to a thread and back costs 0.3-0.9 ms here, more than a small model's whole
prediction, and buys little: predict holds the interpreter lock for most of its time anyway.
So versions whose predictions take under ``INLINE_LIMIT_MS`` (a moving average) run inline;
slower ones go to the thread pool so that ``/ping`` and other requests are not held up behind them.
"""

from __future__ import annotations

INLINE_LIMIT_MS = 5.0


class InlinePacer:
    def __init__(self, limit_ms: float = INLINE_LIMIT_MS) -> None:
        self.limit_ms = limit_ms
        self._average: dict[str, float] = {}

    def inline(self, version: str) -> bool:
        return self._average.get(version, 0.0) < self.limit_ms

    def observe(self, version: str, elapsed_ms: float) -> None:
        previous = self._average.get(version)
        self._average[version] = elapsed_ms if previous is None else 0.9 * previous + 0.1 * elapsed_ms
