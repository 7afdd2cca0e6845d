"""Serving evidence about one candidate version, read from the prediction log over a window.

Against the primary (the version the primary arm served most recently in the window, other than
the candidate): how often the candidate's shadow answers agreed with the primary's on the same
rows, and how the candidate did on live traffic it answered (a canary or an A/B arm): requests,
errors, p99 latency and the outcomes logged back. ``measure`` is the one function the evidence
gates, ``deployments compare`` and its REST route all read.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from cairn.store import predictions as rows
from cairn.store.registry_models import Tx

from .arms import PRIMARY, SHADOW

MAX_EVIDENCE_ROWS = 1_000_000


@dataclass
class LiveStats:
    """One version's answers to live traffic (not shadow copies)."""

    version: int | None
    requests: int = 0
    errors: int = 0
    p99_ms: float | None = None
    outcomes: int = 0
    outcome_mean: float | None = None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass
class CandidateEvidence:
    candidate: int
    primary: int | None
    since: int | None
    until: int | None
    rows_read: int
    truncated: bool
    tolerance: float
    shadow_pairs: int = 0
    shadow_agreed: int = 0
    live: LiveStats = field(default_factory=lambda: LiveStats(None))
    primary_live: LiveStats = field(default_factory=lambda: LiveStats(None))

    @property
    def agreement(self) -> float | None:
        return self.shadow_agreed / self.shadow_pairs if self.shadow_pairs else None

    def window(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "rows_read": self.rows_read, "truncated": self.truncated}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["agreement"] = self.agreement
        data["live"]["error_rate"] = self.live.error_rate
        data["primary_live"]["error_rate"] = self.primary_live.error_rate
        return data


def measure(tx: Tx, model_name: str, candidate: int, since: int | None, until: int | None,
            tolerance: float = 0.0) -> CandidateEvidence:
    """The candidate's shadow agreement and live stats against the primary, over [since, until)."""
    shadow: dict[tuple[str, int], Any] = {}
    served: dict[int, dict[tuple[str, int], Any]] = {}
    latencies: dict[int, list[float]] = {}
    outcomes: dict[int, list[float]] = {}
    errors: dict[int, int] = {}
    primary: int | None = None
    count, truncated = 0, False
    for row in rows.iter_predictions(tx, model_name, since, until, None, None, newest_first=True):
        if count >= MAX_EVIDENCE_ROWS:
            truncated = True
            break
        count += 1
        key = (row.request_id, row.row_index)
        if row.arm == SHADOW:
            if row.version == candidate and row.error is None:
                shadow[key] = row.output
            continue
        if row.arm == PRIMARY and row.version != candidate and primary is None:
            primary = row.version  # newest first: the version serving the primary arm last
        latencies.setdefault(row.version, []).append(row.latency_ms)
        if row.error is not None:
            errors[row.version] = errors.get(row.version, 0) + 1
            continue
        served.setdefault(row.version, {})[key] = row.output
        if row.outcome is not None:
            outcomes.setdefault(row.version, []).append(row.outcome)
    evidence = CandidateEvidence(candidate, primary, since, until, count, truncated, tolerance)
    answers = served.get(primary, {}) if primary is not None else {}
    for key, output in shadow.items():
        if key in answers:
            evidence.shadow_pairs += 1
            evidence.shadow_agreed += agrees(output, answers[key], tolerance)
    evidence.live = _live(candidate, latencies, errors, outcomes)
    evidence.primary_live = _live(primary, latencies, errors, outcomes)
    return evidence


def agrees(a: Any, b: Any, tolerance: float) -> bool:
    """Classifier labels agree when equal; numbers when |a - b| <= tolerance."""
    if _is_number(a) and _is_number(b):
        return abs(float(a) - float(b)) <= tolerance + 1e-12
    return bool(a == b)


def _live(version: int | None, latencies: dict[int, list[float]], errors: dict[int, int],
          outcomes: dict[int, list[float]]) -> LiveStats:
    if version is None:
        return LiveStats(None)
    taken = latencies.get(version, [])
    values = outcomes.get(version, [])
    return LiveStats(version, len(taken), errors.get(version, 0), percentile(taken, 99), len(values),
                     math.fsum(values) / len(values) if values else None)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values), q))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
