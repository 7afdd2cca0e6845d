"""The version-evidence half of the REST backend: serving requirements and benchmarks through
``/api/cairn/v1/model-versions/requirements|benchmarks|evidence``, stability windows through
``/models/stability`` and ``/model-versions/gate-breach``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairn.entities import Actor
from cairn.registry.evidence import BenchmarkResult, ServingRequirements

from .rest_transport import CAIRN, RestTransport


class RestEvidence(RestTransport):
    """Mixed into ``RestBackend``."""

    def set_version_requirements(self, name: str, version: int, actor: Actor,
                                 settings: Mapping[str, Any]) -> ServingRequirements:
        body = {"name": name, "version": version, **{k: v for k, v in settings.items() if v is not None}}
        found = self._request("POST", CAIRN + "/model-versions/requirements", body, None, actor=actor)
        return ServingRequirements.from_dict(found["requirements"])

    def get_version_evidence(self, name: str, version: int) -> tuple[ServingRequirements, BenchmarkResult | None]:
        found = self._request("GET", CAIRN + "/model-versions/evidence", None, {"name": name, "version": version})
        bench = found.get("benchmark")
        return ServingRequirements.from_dict(found.get("requirements") or {}), \
            BenchmarkResult.from_dict(bench) if bench else None

    def record_benchmark(self, name: str, version: int, result: BenchmarkResult, actor: Actor) -> BenchmarkResult:
        body = {"name": name, "version": version, "benchmark": result.to_dict()}
        found = self._request("POST", CAIRN + "/model-versions/benchmarks", body, None, actor=actor)
        return BenchmarkResult.from_dict(found["benchmark"])

    def stability_report(self, name: str) -> dict[str, Any]:
        return dict(self._request("GET", CAIRN + "/models/stability", None, {"name": name})["stability"])

    def record_gate_breach(self, name: str, version: int, actor: Actor, reason: str) -> dict[str, Any]:
        body = {"name": name, "version": version, "reason": reason}
        return dict(self._request("POST", CAIRN + "/model-versions/gate-breach", body, None, actor=actor)["event"])
