"""The version-evidence half of ``LocalBackend``: serving requirements and benchmarks through
``cairn.registry.evidence``, and stability windows through ``cairn.registry.standby``, on the
embedded store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairn.entities import Actor
from cairn.registry import audit, evidence, standby
from cairn.registry.evidence import BenchmarkResult, ServingRequirements
from cairn.store.database import Database


class LocalEvidence:
    """Mixed into ``LocalBackend``."""

    db: Database

    def set_version_requirements(self, name: str, version: int, actor: Actor,
                                 settings: Mapping[str, Any]) -> ServingRequirements:
        return evidence.set_requirements(self.db, name, version, actor, **settings)

    def get_version_evidence(self, name: str, version: int) -> tuple[ServingRequirements, BenchmarkResult | None]:
        return evidence.get_evidence(self.db, name, version)

    def record_benchmark(self, name: str, version: int, result: BenchmarkResult, actor: Actor) -> BenchmarkResult:
        return evidence.record_benchmark(self.db, name, version, result, actor)

    def stability_report(self, name: str) -> dict[str, Any]:
        return standby.stability_report(self.db, name)

    def record_gate_breach(self, name: str, version: int, actor: Actor, reason: str) -> dict[str, Any]:
        return audit.event_payload(standby.record_gate_breach(self.db, name, version, actor, reason))
