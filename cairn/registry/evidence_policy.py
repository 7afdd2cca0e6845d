"""The evidence part of a promotion policy: how its gates are written and checked.

    latency:  "p99 <= budget"   (the version's stated latency budget)   or  "p99 <= 20ms"
    slices:   "auc >= 0.8 for every slice with >= 200 rows"
    shadow, canary and outcome gates are numbers (``Policy`` fields); percentages may be
    written "95%".
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from cairn.entities import Policy, SliceRequirement
from cairn.errors import InvalidParameter
from cairn.tracking.slice_metrics import METRICS

from .evidence import MAX_LATENCY_MS, parse_latency

BUDGET = "budget"
SLICE_OPS = (">=", "<=", ">", "<")
MAX_MIN_COUNT = 10_000_000  # the most requests, pairs or outcomes a gate may ask for
MAX_P99_RATIO = 1000.0
MAX_WINDOW_MS = 3650 * 86_400_000
_LATENCY_GATE = re.compile(r"^\s*p99\s*<=\s*(.+?)\s*$", re.IGNORECASE)
_SLICE_GATE = re.compile(
    r"^\s*(\w+)\s*(>=|<=|>|<)\s*(\S+)\s*(?:for\s+every\s+slice\s+with\s*>=\s*(\d+)\s*rows)?\s*$", re.IGNORECASE)


def parse_latency_gate(text: str) -> dict[str, Any]:
    """The policy fields of ``"p99 <= budget"`` or ``"p99 <= 20ms"``."""
    match = _LATENCY_GATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidParameter(f"Latency gate {text!r} should look like 'p99 <= budget' or 'p99 <= 20ms'.")
    bound = match.group(1)
    if bound.lower() == BUDGET:
        return {"latency_within_budget": True, "max_latency_p99_ms": None}
    return {"latency_within_budget": False, "max_latency_p99_ms": parse_latency(bound)}


def parse_slice_requirement(text: str) -> SliceRequirement:
    """``"auc >= 0.8 for every slice with >= 200 rows"`` (the row clause may be left out: every slice)."""
    match = _SLICE_GATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidParameter(f"Slice gate {text!r} should look like 'auc >= 0.8 for every slice with >= 200 rows'.")
    metric, op, raw, rows = match.groups()
    try:
        threshold = float(raw)
    except ValueError:
        raise InvalidParameter(f"Slice gate {text!r}: threshold {raw!r} is not a number.") from None
    return check_slice_requirement(SliceRequirement(metric, op, threshold, int(rows or 0)))


def parse_fraction(text: object, label: str) -> float:
    """``"95%"``, ``"0.95"`` or 0.95 as a fraction from 0 to 1."""
    raw = text.strip() if isinstance(text, str) else text
    divisor = 1.0
    if isinstance(raw, str) and raw.endswith("%"):
        raw, divisor = raw[:-1], 100.0
    try:
        value = float(raw) / divisor  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidParameter(f"{label} must be a fraction like 0.95 or a percentage like 95%, got {text!r}.") \
            from None
    return check_fraction(value, label)


def check_slice_requirement(req: object) -> SliceRequirement:
    if isinstance(req, dict):
        if set(req) - {"metric", "op", "threshold", "min_rows"} or not {"metric", "op", "threshold"} <= set(req):
            raise InvalidParameter("Each required slice gate needs metric, op, threshold (and min_rows), "
                                   "or 'auc >= 0.8 for every slice with >= 200 rows'.")
        req = SliceRequirement(req["metric"], req["op"], req["threshold"], req.get("min_rows", 0))
    if isinstance(req, str):
        return parse_slice_requirement(req)
    if not isinstance(req, SliceRequirement):
        raise InvalidParameter("A slice gate must be text like 'auc >= 0.8 for every slice with >= 200 rows'.")
    if req.metric not in METRICS:
        raise InvalidParameter(f"Slice gate metric {req.metric!r} is not one of {', '.join(METRICS)}.")
    if req.op not in SLICE_OPS:
        raise InvalidParameter(f"Slice gate on {req.metric}: operator {req.op!r} is not one of {', '.join(SLICE_OPS)}.")
    if isinstance(req.threshold, bool) or not isinstance(req.threshold, (int, float)) \
            or not math.isfinite(req.threshold):
        raise InvalidParameter(f"Slice gate on {req.metric}: the threshold must be a number.")
    _check_count(req.min_rows, "slice gate min_rows")
    return SliceRequirement(req.metric, req.op, float(req.threshold), req.min_rows)


def check_evidence_fields(policy: Policy) -> Policy:
    """``policy`` with its evidence fields checked (``InvalidParameter`` naming the first bad one)."""
    if not isinstance(policy.latency_within_budget, bool):
        raise InvalidParameter("Policy field latency_within_budget must be true or false.")
    if policy.max_latency_p99_ms is not None:
        _check_number(policy.max_latency_p99_ms, "max_latency_p99_ms", 0, MAX_LATENCY_MS)
    for name in ("min_shadow_agreement", "max_canary_error_increase"):
        if getattr(policy, name) is not None:
            check_fraction(getattr(policy, name), f"Policy field {name}")
    if policy.max_canary_p99_ratio is not None:
        _check_number(policy.max_canary_p99_ratio, "max_canary_p99_ratio", 0, MAX_P99_RATIO)
    if policy.max_outcome_drop is not None:
        _check_number(policy.max_outcome_drop, "max_outcome_drop", 0, math.inf, low_inclusive=True)
    _check_number(policy.shadow_tolerance, "shadow_tolerance", 0, math.inf, low_inclusive=True)
    for name in ("min_shadow_pairs", "min_canary_requests", "min_outcomes"):
        _check_count(getattr(policy, name), f"Policy field {name}")
    window = policy.evidence_window_ms
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= MAX_WINDOW_MS:
        raise InvalidParameter("Policy field evidence_window_ms must be a non-negative integer (milliseconds).")
    slices = tuple(check_slice_requirement(r) for r in policy.required_slices)
    return dataclasses.replace(policy, required_slices=slices)


def check_fraction(value: object, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidParameter(f"{label} must be a fraction from 0 to 1 (or 0% to 100%), got {value!r}.")
    return float(value)


def _check_number(value: object, name: str, low: float, high: float, low_inclusive: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and (value >= low if low_inclusive else value > low) and value <= high
    if not ok:
        bound = f"{'at least' if low_inclusive else 'more than'} {low:g}" + (f" and at most {high:g}"
                                                                             if math.isfinite(high) else "")
        raise InvalidParameter(f"Policy field {name} must be a number {bound}, got {value!r}.")


def _check_count(value: object, label: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MIN_COUNT:
        raise InvalidParameter(f"{label} must be an integer from 0 to {MAX_MIN_COUNT}, got {value!r}.")
