"""System metrics: a daemon thread samples the machine every few seconds while a run is active
and writes each sample as one log-batch of ``system/...`` metrics (MLflow's names, step 0, 1,
2, ...), so the training thread never waits on it.

    with cairn.start_run(log_system_metrics=True):      # or CAIRN_SYSTEM_METRICS=1
        train()

The interval is ``CAIRN_SYSTEM_METRICS_INTERVAL`` seconds (default 10). The fluent API starts a
monitor with the run and stops it — joining the thread, so no point lands after the run's end
time — before it ends the run, and at interpreter exit. With an explicit ``Client``:

    monitor = SystemMetricsMonitor(client, run_id).start()
    ...
    monitor.stop()
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING

from cairn.entities import Metric
from cairn.errors import InvalidParameter

from .system_metrics_sampling import Sampler

if TYPE_CHECKING:
    from .client import Client

ENV_ENABLED = "CAIRN_SYSTEM_METRICS"
ENV_INTERVAL = "CAIRN_SYSTEM_METRICS_INTERVAL"
PREFIX = "system/"
DEFAULT_INTERVAL_S = 10.0
MIN_INTERVAL_S = 0.1
STOP_TIMEOUT_S = 30.0
_TRUE = {"1", "true", "yes", "on"}

_log = logging.getLogger(__name__)
_running: weakref.WeakSet[SystemMetricsMonitor] = weakref.WeakSet()


def enabled_by_env() -> bool:
    return os.environ.get(ENV_ENABLED, "").strip().lower() in _TRUE


def interval_from_env() -> float:
    raw = os.environ.get(ENV_INTERVAL, "").strip()
    if not raw:
        return DEFAULT_INTERVAL_S
    try:
        return check_interval(float(raw))
    except ValueError:
        raise InvalidParameter(f"{ENV_INTERVAL}={raw!r} is not a number of seconds.") from None


def interval_for(wanted: bool | None) -> float | None:
    """The sampling interval for a run started with ``log_system_metrics=wanted`` (``None``: as
    ``CAIRN_SYSTEM_METRICS`` says), or None for no sampling."""
    if wanted or (wanted is None and enabled_by_env()):
        return interval_from_env()
    return None


def check_interval(seconds: float) -> float:
    if not seconds >= MIN_INTERVAL_S:
        raise InvalidParameter(f"The system-metrics interval must be at least {MIN_INTERVAL_S} s, got {seconds}.")
    return seconds


class SystemMetricsMonitor:
    """Samples every ``interval`` seconds into ``run_id`` until ``stop``; the first sample is taken
    one interval after ``start`` (CPU utilisation needs an interval to measure)."""

    def __init__(self, client: Client, run_id: str, interval: float | None = None) -> None:
        self._client = client
        self.run_id = run_id
        self.interval = check_interval(interval) if interval is not None else interval_from_env()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._step = 0

    def start(self) -> SystemMetricsMonitor:
        if self._thread is None:
            sampler = Sampler()
            self._thread = threading.Thread(target=self._loop, args=(sampler,), daemon=True,
                                            name=f"cairn-system-metrics-{self.run_id[:8]}")
            self._thread.start()
            _running.add(self)
        return self

    def stop(self) -> None:
        """Stop sampling and wait for a sample being written: after this, no new point arrives."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT_S)
        _running.discard(self)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self, sampler: Sampler) -> None:
        while not self._stop.wait(self.interval):
            try:
                values = sampler.sample()
                now = time.time_ns() // 1_000_000
                points = [Metric(PREFIX + name, float(value), now, self._step) for name, value in values.items()]
                if points:
                    # Straight to the backend: one batch per sample, never waiting on (or raising)
                    # the training thread's queued points.
                    self._client.backend.log_batch(self.run_id, points, (), ())
                self._step += 1
            except Exception as exc:  # e.g. the run was ended or deleted elsewhere
                _log.warning("System metrics stopped for run %s: %s", self.run_id, exc)
                return


def stop_all() -> None:
    for monitor in list(_running):
        monitor.stop()


atexit.register(stop_all)
