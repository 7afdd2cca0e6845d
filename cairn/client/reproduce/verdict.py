"""The verdict on a re-run, from ``cairn diff ORIGINAL NEW``: ``identical`` (every metric equal),
``equivalent`` (every metric within ``rtol`` of the original's) or ``different``, and the reasons:
what differs in code, data, environment, seeds and params, and, when none of those differ but
the metrics do, that the training itself is nondeterministic.

Params the caller changed on purpose (``runs branch --param``) are expected and never a reason;
any other param difference makes the re-run ``different`` whatever its metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

IDENTICAL, EQUIVALENT, DIFFERENT = "identical", "equivalent", "different"
DEFAULT_RTOL = 1e-6
SHOWN = 5
PYTHON_TAG = "cairn.python.version"
SEED_TAG = "cairn.seed"
# What seeding the known generators cannot make repeatable, named in the nondeterminism reason.
UNSEEDED_CAUSES = "threads or processes finishing in another order, GPU kernels, or a library seed_everything does not seed"


@dataclass
class Verdict:
    """``verdict`` and ``reasons`` (each ``{"kind", "message"}``; kinds: params, code, data,
    environment, seeds, metrics, nondeterminism)."""

    verdict: str
    reasons: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reasons": self.reasons}


def judge(diff: Mapping[str, Any], rtol: float = DEFAULT_RTOL, expected_params: Mapping[str, Any] | None = None,
          seed_libraries: list[str] | None = None) -> Verdict:
    """The verdict on ``diff`` (``RunDiff.to_dict()``, original as ``a``, re-run as ``b``)."""
    reasons: list[dict[str, str]] = []

    def reason(kind: str, message: str) -> None:
        reasons.append({"kind": kind, "message": message})

    unexpected = _param_changes(diff["params"], set(expected_params or ()))
    if unexpected:
        reason("params", "params differ: " + _listed(unexpected))
    code = diff["code"]
    if code["a"].get("commit") != code["b"].get("commit"):
        reason("code", f"commit {_short(code['a'].get('commit'))} vs {_short(code['b'].get('commit'))}")
    if code.get("patch_diff"):
        reason("code", "the uncommitted changes (code/diff.patch) differ")
    for row in diff["data"]:
        if not row["same_digest"]:
            name = row["name_a"] or row["name_b"]
            reason("data", f"dataset '{name}' ({row['context'] or 'no context'}): digest "
                           f"{_short(row['digest_a'])} vs {_short(row['digest_b'])}")
    packages = (diff["environment"] or {}).get("packages")
    if packages:
        changed = _package_changes(packages)
        if changed:
            reason("environment", f"{len(changed)} package(s) differ: " + _listed(changed))
    python = (diff["environment"] or {}).get("system", {}).get(PYTHON_TAG)
    if python and not python["same"]:
        reason("environment", f"Python {python['a']} vs {python['b']}")
    seed = diff["seeds"].get(SEED_TAG)
    if seed and not seed["same"]:
        reason("seeds", f"seed {seed['a']} vs {seed['b']}")

    verdict, metric_changes = _compare_metrics(diff["metrics"], rtol)
    if metric_changes:
        reason("metrics", f"{len(metric_changes)} metric(s) " + ("differ beyond" if verdict == DIFFERENT
                          else "differ within") + f" rtol {rtol:g}: " + _listed(metric_changes))
    causes = {r["kind"] for r in reasons} - {"metrics"}
    if verdict != IDENTICAL and not causes:
        libraries = ", ".join(seed_libraries or []) or "nothing (the run recorded no seed_everything call)"
        reason("nondeterminism", "code, data, environment and seeds match, yet the metrics differ: the training is "
               f"nondeterministic ({UNSEEDED_CAUSES}). seed_everything seeded: {libraries}.")
    if unexpected:
        verdict = DIFFERENT
    return Verdict(verdict, reasons)


def _compare_metrics(metrics: Mapping[str, Any], rtol: float) -> tuple[str, list[str]]:
    verdict = IDENTICAL
    changes: list[str] = []
    for key in metrics.get("only_a", []):
        changes.append(f"{key} missing from the re-run")
        verdict = DIFFERENT
    for key in metrics.get("only_b", []):
        changes.append(f"{key} only in the re-run")
        verdict = DIFFERENT
    for row in metrics["metrics"]:
        a, b = row["a"], row["b"]
        if a is None or b is None or _same(a, b):
            continue
        changes.append(f"{row['key']} {a:.6g} → {b:.6g}")
        if math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=rtol, abs_tol=0.0):
            verdict = EQUIVALENT if verdict == IDENTICAL else verdict
        else:
            verdict = DIFFERENT
    return verdict, changes


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _param_changes(params: Mapping[str, Any], expected: set[str]) -> list[str]:
    changes = [f"{k} {v['a']!r} → {v['b']!r}" for k, v in params["changed"].items() if k not in expected]
    changes += [f"{k} only in the re-run" for k in params["added"] if k not in expected]
    changes += [f"{k} missing from the re-run" for k in params["removed"] if k not in expected]
    return changes


def _package_changes(packages: Mapping[str, Any]) -> list[str]:
    found = [f"{name} added ({version})" for name, version in packages["added"].items()]
    found += [f"{name} removed ({version})" for name, version in packages["removed"].items()]
    for bucket in ("upgraded", "downgraded", "changed"):
        found += [f"{name} {pair['a']} → {pair['b']}" for name, pair in packages[bucket].items()]
    return found


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _short(value: str | None) -> str:
    return value[:12] if value else "none"
