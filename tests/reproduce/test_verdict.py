"""The verdict on a re-run, from the diff of the original (a) and the re-run (b)."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.client.reproduce import DIFFERENT, EQUIVALENT, IDENTICAL, judge

pytestmark = pytest.mark.store_independent(reason="the verdict is pure logic over two diffs; no store")


def diff(metrics: dict[str, tuple[float, float]], params: dict[str, tuple[str, str]] | None = None,
         commits: tuple[str, str] = ("c1", "c1"), digests: tuple[str, str] = ("d1", "d1"),
         seeds: tuple[str, str] = ("7", "7"), upgraded: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "params": {"added": {}, "removed": {}, "unchanged": 1,
                   "changed": {k: {"a": a, "b": b} for k, (a, b) in (params or {}).items()}},
        "metrics": {"metrics": [{"key": k, "a": a, "b": b} for k, (a, b) in metrics.items()], "only_a": [],
                    "only_b": []},
        "code": {"a": {"commit": commits[0]}, "b": {"commit": commits[1]}, "patch_diff": None},
        "data": [{"name_a": "train", "name_b": "train", "context": "training", "digest_a": digests[0],
                  "digest_b": digests[1], "same_digest": digests[0] == digests[1]}],
        "environment": {"packages": {"added": {}, "removed": {}, "upgraded": upgraded or {}, "downgraded": {},
                                     "changed": {}, "unchanged": 40},
                        "system": {"cairn.python.version": {"a": "3.11.7", "b": "3.11.7", "same": True}}},
        "seeds": {"cairn.seed": {"a": seeds[0], "b": seeds[1], "same": seeds[0] == seeds[1]}},
    }


def test_equal_metrics_are_identical_with_no_reasons() -> None:
    verdict = judge(diff({"acc": (0.9, 0.9)}))

    assert verdict.verdict == IDENTICAL and verdict.reasons == []


def test_metrics_within_the_tolerance_are_equivalent_and_beyond_it_different() -> None:
    assert judge(diff({"acc": (0.9, 0.9 + 1e-9)})).verdict == EQUIVALENT
    assert judge(diff({"acc": (0.9, 0.9 + 1e-4)})).verdict == DIFFERENT
    assert judge(diff({"acc": (0.9, 0.9 + 1e-4)}), rtol=1e-3).verdict == EQUIVALENT


def test_differences_in_code_data_environment_and_seeds_are_the_reasons_not_nondeterminism() -> None:
    verdict = judge(diff({"acc": (0.9, 0.8)}, commits=("c1", "c2"), digests=("d1", "d2"), seeds=("7", "8"),
                         upgraded={"numpy": {"a": "1.26.4", "b": "2.0.0"}}))

    kinds = [r["kind"] for r in verdict.reasons]
    assert verdict.verdict == DIFFERENT
    assert {"code", "data", "environment", "seeds", "metrics"} <= set(kinds) and "nondeterminism" not in kinds
    assert "numpy 1.26.4 → 2.0.0" in next(r["message"] for r in verdict.reasons if r["kind"] == "environment")


def test_different_metrics_with_everything_else_equal_is_reported_as_nondeterminism() -> None:
    verdict = judge(diff({"acc": (0.9, 0.8)}), seed_libraries=["random", "numpy", "pythonhashseed"])

    reason = next(r["message"] for r in verdict.reasons if r["kind"] == "nondeterminism")
    assert "the training is nondeterministic" in reason and "seeded: random, numpy, pythonhashseed" in reason


def test_a_param_changed_on_purpose_is_no_reason_but_any_other_param_makes_it_different() -> None:
    branched = judge(diff({"acc": (0.9, 0.9)}, params={"lr": ("0.1", "0.05")}), expected_params={"lr": {}})
    drifted = judge(diff({"acc": (0.9, 0.9)}, params={"lr": ("0.1", "0.05")}))

    assert branched.verdict == IDENTICAL and branched.reasons == []
    assert drifted.verdict == DIFFERENT and drifted.reasons[0]["kind"] == "params"
