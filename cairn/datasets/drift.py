"""Drift between two profiles: per feature PSI and a test (Kolmogorov-Smirnov or chi-square),
new and missing columns, type and null-rate changes, sorted by severity.

Drift is judged from stored profiles, not raw rows, so any two logged datasets (or a run's, or a
model version's training data) can be compared long after the data is gone. Numeric features are
compared through their 101-point percentile sketches: the cumulative distribution is rebuilt by
linear interpolation (keeping the jumps of repeated values), PSI is taken over the baseline's
deciles and KS is the largest gap between the two distributions (within about 0.01 of the exact
statistic). Categorical features are compared over their most frequent values plus an "other"
bucket, with chi-square on the 2 x k table of counts.

With large samples every p-value is tiny, so a feature only counts as drifted when the effect is
large too: PSI at or above ``psi_moderate``, or a significant test whose statistic (KS D,
Cramér's V) reaches its threshold.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .profile import CATEGORICAL, NUMERIC, row_count
from .stats import chi2_sf, ks_p_value

SEVERITY_RANK = {"high": 3, "moderate": 2, "low": 1, "none": 0}
_STATUS_ORDER = ("missing", "type_changed", "drifted", "new", "stable", "not_compared")
_PSI_FLOOR = 1e-4
_PSI_BINS = 10


@dataclass(frozen=True)
class DriftThresholds:
    """When a change counts: PSI 0.1 / 0.25 are the usual "moderate" / "major" lines."""

    psi_moderate: float = 0.1
    psi_major: float = 0.25
    ks_statistic: float = 0.1
    cramers_v: float = 0.1
    p_value: float = 0.05
    null_rate_change: float = 0.05


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's comparison. ``status``: drifted, stable, new, missing, type_changed or
    not_compared (no statistics on one side)."""

    feature: str
    kind: str
    status: str
    severity: str
    psi: float | None = None
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    baseline_null_rate: float | None = None
    current_null_rate: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def is_drifted(self) -> bool:
        return SEVERITY_RANK[self.severity] >= SEVERITY_RANK["moderate"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DriftReport:
    features: list[FeatureDrift]
    baseline_rows: int | None
    current_rows: int | None
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.is_drifted]

    def feature(self, name: str) -> FeatureDrift:
        return next(f for f in self.features if f.feature == name)

    def to_dict(self) -> dict[str, Any]:
        return {"baseline_rows": self.baseline_rows, "current_rows": self.current_rows,
                "drifted": self.drifted_features, "thresholds": asdict(self.thresholds),
                "features": [f.to_dict() for f in self.features]}


def measure_drift(baseline: dict[str, Any] | None, current: dict[str, Any] | None,
                  thresholds: DriftThresholds | None = None) -> DriftReport:
    """Compare two profiles (as ``profile_frame`` makes them), most severe change first."""
    limits = thresholds or DriftThresholds()
    before = (baseline or {}).get("features") or {}
    after = (current or {}).get("features") or {}
    results = [_compare(name, before.get(name), after.get(name), limits) for name in _union(before, after)]
    results.sort(key=lambda f: (-SEVERITY_RANK[f.severity], _STATUS_ORDER.index(f.status), -(f.psi or 0.0), f.feature))
    return DriftReport(results, row_count(baseline), row_count(current), limits)


def measure_frame_drift(baseline: Any, current: Any, thresholds: DriftThresholds | None = None) -> DriftReport:
    """Profile two DataFrames, then compare them."""
    from .profile import profile_frame

    return measure_drift(profile_frame(baseline), profile_frame(current), thresholds)


def _union(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys([*before, *after]))


def _compare(name: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
             limits: DriftThresholds) -> FeatureDrift:
    if before is None:
        return FeatureDrift(name, _kind(after), "new", "low", current_null_rate=_null_rate(after),
                            reasons=["column is new in the current data"])
    if after is None:
        return FeatureDrift(name, _kind(before), "missing", "high", baseline_null_rate=_null_rate(before),
                            reasons=["column is missing from the current data"])
    kind = _kind(after)
    rates = {"baseline_null_rate": _null_rate(before), "current_null_rate": _null_rate(after)}
    if _kind(before) != kind:
        return FeatureDrift(name, kind, "type_changed", "high", reasons=[
            f"type changed from {_kind(before)} ({before.get('dtype')}) to {kind} ({after.get('dtype')})"], **rates)
    if kind == NUMERIC and before.get("percentiles") and after.get("percentiles"):
        found = _numeric(before, after, limits)
    elif kind == CATEGORICAL and before.get("top") is not None and after.get("top") is not None:
        found = _categorical(before, after, limits)
    else:
        found = {"severity": "none", "reasons": []}
        if kind not in (NUMERIC, CATEGORICAL):
            found["reasons"].append(f"{kind or 'unknown'} features are compared on null rate only")
    severity, reasons = found.pop("severity"), found.pop("reasons")
    severity = _worse(severity, _null_rate_severity(rates, limits, reasons))
    status = "drifted" if SEVERITY_RANK[severity] >= SEVERITY_RANK["moderate"] else "stable"
    if not found and not reasons:
        status = "not_compared"
    return FeatureDrift(name, kind, status, severity, reasons=reasons, **rates, **found)


def _numeric(before: dict[str, Any], after: dict[str, Any], limits: DriftThresholds) -> dict[str, Any]:
    base = _sketch(before["percentiles"])
    cur = _sketch(after["percentiles"])
    grid = np.union1d(base, cur)
    statistic = float(np.max(np.abs(_cdf(base, grid) - _cdf(cur, grid))))
    p_value = ks_p_value(statistic, int(before.get("count") or 0), int(after.get("count") or 0))
    edges = np.unique(base[_PSI_BINS::_PSI_BINS][:-1]) if len(base) > _PSI_BINS else np.unique(base)
    psi = _psi(_bin_shares(base, edges), _bin_shares(cur, edges))
    reasons = []
    severity = _psi_severity(psi, limits, reasons)
    if p_value < limits.p_value and statistic >= limits.ks_statistic:
        reasons.append(f"KS D={statistic:.3f} (p={p_value:.2g})")
        severity = _worse(severity, "high" if statistic >= 2 * limits.ks_statistic else "moderate")
    return {"psi": psi, "test": "ks", "statistic": statistic, "p_value": p_value,
            "severity": severity, "reasons": reasons}


def _categorical(before: dict[str, Any], after: dict[str, Any], limits: DriftThresholds) -> dict[str, Any]:
    labels, base, cur = _category_table(before, after)
    keep = (base + cur) > 0
    base, cur = base[keep], cur[keep]
    reasons: list[str] = []
    if len(base) < 2 or base.sum() == 0 or cur.sum() == 0:
        return {"psi": 0.0, "test": "chi2", "statistic": 0.0, "p_value": 1.0, "severity": "none", "reasons": reasons}
    table = np.vstack([base, cur])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    p_value = chi2_sf(statistic, len(base) - 1)
    cramers_v = math.sqrt(statistic / table.sum())
    psi = _psi(base / base.sum(), cur / cur.sum())
    severity = _psi_severity(psi, limits, reasons)
    if p_value < limits.p_value and cramers_v >= limits.cramers_v:
        reasons.append(f"chi-square={statistic:.1f} (p={p_value:.2g}, Cramér's V={cramers_v:.2f})")
        severity = _worse(severity, "high" if cramers_v >= 3 * limits.cramers_v else "moderate")
    new_values = [v for v in labels if v not in {t["value"] for t in before["top"]} and v != _OTHER]
    if new_values and not before.get("other_count"):
        reasons.append("values not seen in the baseline: " + ", ".join(new_values[:5]))
    return {"psi": psi, "test": "chi2", "statistic": statistic, "p_value": p_value,
            "severity": severity, "reasons": reasons}


_OTHER = "\0other"


def _category_table(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[str], np.ndarray, np.ndarray]:
    # A value listed on one side only is known to be 0 on the other when that side lists all its
    # values (no "other" bucket); otherwise it joins the "other" bucket on both sides.
    counts_b = {t["value"]: t["count"] for t in before["top"]}
    counts_a = {t["value"]: t["count"] for t in after["top"]}
    complete_b, complete_a = not before.get("other_count"), not after.get("other_count")
    labels = [v for v in dict.fromkeys([*counts_b, *counts_a])
              if (v in counts_b or complete_b) and (v in counts_a or complete_a)]
    base = [counts_b.get(v, 0) for v in labels]
    cur = [counts_a.get(v, 0) for v in labels]
    base.append(int(before.get("count") or 0) - sum(base))
    cur.append(int(after.get("count") or 0) - sum(cur))
    return [*labels, _OTHER], np.asarray(base, dtype=np.float64), np.asarray(cur, dtype=np.float64)


def _sketch(values: list[Any]) -> np.ndarray:
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)


def _cdf(sketch: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The distribution function rebuilt from percentiles p0..p100: linear between distinct
    values, jumping at a repeated value by the share of percentiles it holds."""
    probs = np.linspace(0.0, 1.0, len(sketch))
    values, first = np.unique(sketch, return_index=True)
    last = len(sketch) - 1 - np.unique(sketch[::-1], return_index=True)[1]
    p_low, p_high = probs[first], probs[last]
    i = np.searchsorted(values, x, side="right") - 1
    out = np.zeros(len(x))
    inside = (i >= 0) & (i < len(values) - 1)
    j = i[inside]
    xi = x[inside]
    at_value = xi == values[j]
    between = p_high[j] + (p_low[j + 1] - p_high[j]) * (xi - values[j]) / (values[j + 1] - values[j])
    out[inside] = np.where(at_value, p_high[j], between)
    out[i >= len(values) - 1] = 1.0
    return out


def _bin_shares(sketch: np.ndarray, edges: np.ndarray) -> np.ndarray:
    cumulative = np.concatenate(([0.0], _cdf(sketch, edges), [1.0]))
    return np.maximum(np.diff(cumulative), 0.0)


def _psi(base: np.ndarray, cur: np.ndarray) -> float:
    b = np.maximum(base, _PSI_FLOOR)
    c = np.maximum(cur, _PSI_FLOOR)
    return float(np.sum((c - b) * np.log(c / b)))


def _psi_severity(psi: float, limits: DriftThresholds, reasons: list[str]) -> str:
    if psi >= limits.psi_major:
        reasons.append(f"PSI {psi:.3f} >= {limits.psi_major:g}")
        return "high"
    if psi >= limits.psi_moderate:
        reasons.append(f"PSI {psi:.3f} >= {limits.psi_moderate:g}")
        return "moderate"
    return "none"


def _null_rate_severity(rates: dict[str, float | None], limits: DriftThresholds, reasons: list[str]) -> str:
    before, after = rates["baseline_null_rate"], rates["current_null_rate"]
    if before is None or after is None or abs(after - before) < limits.null_rate_change:
        return "none"
    reasons.append(f"null rate {before:.1%} -> {after:.1%}")
    return "high" if abs(after - before) >= 2 * limits.null_rate_change else "moderate"


def _worse(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def _kind(feature: dict[str, Any] | None) -> str:
    return str((feature or {}).get("type") or "")


def _null_rate(feature: dict[str, Any] | None) -> float | None:
    rate = (feature or {}).get("null_rate")
    return float(rate) if isinstance(rate, (int, float)) else None
