"""The version-evidence methods of ``Client``: serving requirements, benchmark results, and
slice metrics (per-slice metrics with row counts, stored as run metrics).

>>> client.set_version_requirements("churn", 3, latency_p99="20ms", max_batch=64, device="cpu", memory="2GiB")
>>> client.log_slice_metrics(run_id, y, scores, by=df[["country"]], metrics=["auc"])
>>> client.log_version_slice_metrics("churn", 3, y, scores, by=df[["country"]], metrics=["auc"])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cairn.entities import Metric
from cairn.errors import InvalidParameter
from cairn.registry.evidence import BenchmarkResult, ServingRequirements
from cairn.tracking import clock
from cairn.tracking.slice_metrics import SliceMetric, as_metrics, compute_slice_metrics

from .backends.base import Backend
from .users import actor_of

METRICS_PER_BATCH = 1000  # MLflow's log-batch limit


class EvidenceMethods:
    """Mixed into ``Client``."""

    _backend: Backend
    flush: Callable[[], None]
    resolve_model_version: Callable[[str], Any]

    def set_version_requirements(self, name: str, version: int | str, *, latency_p99: str | float | None = None,
                                 max_batch: int | None = None, device: str | None = None,
                                 memory: str | int | None = None, user: str | None = None) -> ServingRequirements:
        """State what the version needs to serve (``"20ms"``, 64, ``"cpu"``/``"gpu"``, ``"2GiB"``);
        fields left out keep their stored value."""
        settings = {"latency_p99": latency_p99, "max_batch": max_batch, "device": device, "memory": memory}
        return self._backend.set_version_requirements(name, _number(version), actor_of(user), settings)

    def get_version_requirements(self, name: str, version: int | str) -> ServingRequirements:
        return self._backend.get_version_evidence(name, _number(version))[0]

    def get_latest_benchmark(self, name: str, version: int | str) -> BenchmarkResult | None:
        """The newest benchmark recorded on the version (``cairn models benchmark``), if any."""
        return self._backend.get_version_evidence(name, _number(version))[1]

    def record_benchmark(self, name: str, version: int | str, result: BenchmarkResult, *,
                         user: str | None = None) -> BenchmarkResult:
        return self._backend.record_benchmark(name, _number(version), result, actor_of(user))

    def get_stability(self, name: str) -> dict[str, Any]:
        """The model's stability windows: each standby version, until when, any gate breach, and
        what the policy's watched gates (canary errors/latency, outcomes) read on the new
        Production version now."""
        return self._backend.stability_report(name)

    def record_gate_breach(self, name: str, version: int | str, reason: str, *, user: str | None = None) -> dict[str, Any]:
        """Report that Production ``version`` breached (e.g. from outside monitoring): the version
        it replaced then stays on standby for a rollback instead of being archived."""
        return self._backend.record_gate_breach(name, _number(version), actor_of(user), reason)

    def log_slice_metrics(self, run_id: str, y_true: Any, y_pred: Any, by: Any,
                          metrics: Sequence[str] = ("auc",)) -> list[SliceMetric]:
        """Each metric on each slice of ``by`` (columns aligned with ``y_true``), with the slice's
        row count, logged on the run as ``slice/<column>:<value>/<metric>`` and ``.../rows``."""
        found = compute_slice_metrics(y_true, y_pred, by, list(metrics))
        now = clock.now_ms()
        points = [Metric(key, value, now, 0) for key, value in as_metrics(found).items()]
        for start in range(0, len(points), METRICS_PER_BATCH):
            self.log_batch(run_id, points[start:start + METRICS_PER_BATCH])  # type: ignore[attr-defined]
        return found

    def log_version_slice_metrics(self, name: str, version: int | str, y_true: Any, y_pred: Any, by: Any,
                                  metrics: Sequence[str] = ("auc",)) -> list[SliceMetric]:
        """``log_slice_metrics`` on the source run of a registered version (where its gates read them)."""
        found = self.resolve_model_version(f"{name}/{_number(version)}")
        if not found.run_id:
            raise InvalidParameter(f"Version {found.version} of '{name}' has no source run to log slice metrics on.")
        return self.log_slice_metrics(found.run_id, y_true, y_pred, by, metrics)


def _number(version: int | str) -> int:
    text = str(version).strip()
    if not text.isdigit():
        raise InvalidParameter(f"A version is a number, got {version!r}.")
    return int(text)
