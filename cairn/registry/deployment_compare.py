"""``deployments compare``: how the arms of a deployment did, from the prediction log.

Per arm: predictions, errors, latency p50/p99, the mean numeric output and any outcomes logged
back (count and mean). Between arms: the agreement rate wherever two arms answered the same row,
which is what a shadow does (it gets a copy of each primary request). Canary and A/B arms answer
different requests, so they are compared on their outcomes and output means instead. For each
version the deployment tries out, the policy's evidence gates say whether it would pass now
(``evidence_gates``, the same code the promotion runs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from cairn.store import predictions as rows
from cairn.store import registry_versions as version_rows
from cairn.store import runs as run_rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock

from . import evidence_gates
from .arms import ARM_B, CANARY, PRIMARY, SHADOW
from .audit import gate_payload
from .deployments import load_config
from .evidence_log import measure
from .models import require_model
from .policies import effective_policy
from .predictions import check_window
from .validation import validate_model_name

MAX_ROWS = 1_000_000
_REL_TOL = 1e-9


@dataclass
class ArmStats:
    arm: str
    versions: list[int]
    predictions: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    output_mean: float | None = None
    outcomes: int = 0
    outcome_mean: float | None = None


@dataclass
class Agreement:
    arm: str
    against: str
    pairs: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.pairs if self.pairs else None


@dataclass
class DeploymentComparison:
    model_name: str
    since: int | None
    until: int | None
    rows_read: int
    truncated: bool
    arms: list[ArmStats] = field(default_factory=list)
    agreement: list[Agreement] = field(default_factory=list)
    # Per candidate (shadow, canary or A/B version): the evidence gates of the model's policy
    # as they would decide now, with the numbers behind them (``candidate_gates``).
    gates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for item, wire in zip(self.agreement, data["agreement"]):
            wire["rate"] = item.rate
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeploymentComparison:
        arms = [ArmStats(**arm) for arm in data.get("arms", [])]
        agreement = [Agreement(a["arm"], a["against"], a["pairs"], a["agreed"]) for a in data.get("agreement", [])]
        return cls(data["model_name"], data.get("since"), data.get("until"), data.get("rows_read", 0),
                   data.get("truncated", False), arms, agreement, list(data.get("gates") or []))


def compare_deployment(db: Database, name: str, since: int | None = None,
                       until: int | None = None) -> DeploymentComparison:
    """The arms of ``name``'s deployment compared over [since, until) of the prediction log."""
    validate_model_name(name)
    check_window(since, until)
    latencies: dict[str, list[float]] = defaultdict(list)
    outputs: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, list[float]] = defaultdict(list)
    versions: dict[str, set[int]] = defaultdict(set)
    errors: dict[str, int] = defaultdict(int)
    answers: dict[tuple[str, int], dict[str, Any]] = defaultdict(dict)
    count, truncated = 0, False
    with db.read() as tx:
        model = require_model(tx, name)
        gates = candidate_gates(tx, model, since, until)
        for row in rows.iter_predictions(tx, name, since, until, None, None, newest_first=True):
            if count >= MAX_ROWS:
                truncated = True
                break
            count += 1
            versions[row.arm].add(row.version)
            latencies[row.arm].append(row.latency_ms)
            if row.error is not None:
                errors[row.arm] += 1
                continue
            if _is_number(row.output):
                outputs[row.arm].append(float(row.output))
            if row.outcome is not None:
                outcomes[row.arm].append(row.outcome)
            answers[(row.request_id, row.row_index)][row.arm] = row.output
    comparison = DeploymentComparison(name, since, until, count, truncated, gates=gates)
    for arm in sorted(versions, key=_arm_order):
        comparison.arms.append(ArmStats(
            arm, sorted(versions[arm]), len(latencies[arm]), errors[arm],
            _percentile(latencies[arm], 50), _percentile(latencies[arm], 99), _mean(outputs[arm]),
            len(outcomes[arm]), _mean(outcomes[arm]),
        ))
    comparison.agreement = _agreement(answers)
    return comparison


def candidate_gates(tx: Tx, model: ModelRef, since: int | None, until: int | None) -> list[dict[str, Any]]:
    """For each version the deployment is trying out: its evidence gates under the model's
    policy, decided now, with the evidence they read."""
    policy = effective_policy(tx, model)[0]
    config = load_config(tx, model)
    now = clock.now_ms()
    found: list[dict[str, Any]] = []
    for arm, number in ((SHADOW, config.shadow_version), (CANARY, config.canary_version), (ARM_B, config.ab_version)):
        version = version_rows.get_version(tx, model.key, model.name, number) if number is not None else None
        if version is None:
            continue
        metrics: dict[str, float] = {}
        if version.run_id and policy.required_slices:
            runs = run_rows.load_runs(tx, [version.run_id])
            metrics = {k: m.value for k, m in runs[0].data.metrics.items()} if runs else {}
        span = (since, until) if (since, until) != (None, None) else evidence_gates.window(policy, now)
        gathered = evidence_gates.gather(tx, model, version.version, version.run_id, metrics, policy, now, span)
        log = gathered.log or measure(tx, model.name, version.version, span[0], span[1], policy.shadow_tolerance)
        results = evidence_gates.evaluate(policy, gathered)
        found.append({"arm": arm, "version": version.version, "evidence": log.to_dict(),
                      "results": [gate_payload(r) for r in results],
                      "would_pass": all(r.passed for r in results)})
    return found


def _agreement(answers: dict[tuple[str, int], dict[str, Any]]) -> list[Agreement]:
    tallies: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for by_arm in answers.values():
        if len(by_arm) < 2:
            continue
        served = [arm for arm in by_arm if arm != SHADOW]
        for arm in by_arm:
            if arm == SHADOW and served:
                tally = tallies[(SHADOW, served[0])]
                tally[0] += 1
                tally[1] += _same(by_arm[SHADOW], by_arm[served[0]])
    return [Agreement(arm, against, pairs, agreed) for (arm, against), (pairs, agreed) in sorted(tallies.items())]


def _same(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=_REL_TOL)
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values), q))


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _arm_order(arm: str) -> tuple[int, str]:
    return (0 if arm == PRIMARY else 2 if arm == SHADOW else 1, arm)
