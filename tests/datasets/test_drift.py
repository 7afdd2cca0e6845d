"""Drift on seeded data: a shifted feature is flagged, an unchanged one is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.datasets.drift import DriftThresholds, measure_drift, measure_frame_drift
from cairn.datasets.profile import profile_frame
from cairn.datasets.stats import chi2_sf, kolmogorov_sf, ks_p_value

pytestmark = pytest.mark.store_independent(reason="drift between in-memory profiles; no store")

ROWS = 8_000


def sample(seed: int, *, shift: float = 0.0, plans: tuple[float, float, float] = (0.6, 0.3, 0.1),
           null_rate: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.normal(50.0 + shift, 10.0, size=ROWS),
        "age": rng.integers(18, 80, size=ROWS),
        "plan": rng.choice(["free", "pro", "team"], p=list(plans), size=ROWS),
        "tenure": rng.exponential(12.0, size=ROWS),
    })
    if null_rate:
        frame.loc[rng.random(ROWS) < null_rate, "tenure"] = np.nan
    return frame


def test_shifted_numeric_feature_is_flagged_and_unchanged_ones_are_not() -> None:
    report = measure_frame_drift(sample(1), sample(2, shift=5.0))
    income = report.feature("income")
    assert (income.status, income.severity, income.test) == ("drifted", "high", "ks")
    assert income.psi > 0.25 and income.statistic > 0.15 and income.p_value < 1e-10
    assert report.drifted_features == ["income"]
    for name in ("age", "plan", "tenure"):
        assert report.feature(name).status == "stable", report.feature(name)


def test_ks_statistic_from_profiles_is_close_to_the_exact_one() -> None:
    stats = pytest.importorskip("scipy.stats")
    before, after = sample(1), sample(2, shift=3.0)
    exact = stats.ks_2samp(before["income"], after["income"]).statistic
    assert measure_frame_drift(before, after).feature("income").statistic == pytest.approx(exact, abs=0.02)


def test_changed_category_mix_is_flagged_by_chi_square() -> None:
    report = measure_frame_drift(sample(1), sample(2, plans=(0.3, 0.3, 0.4)))
    plan = report.feature("plan")
    assert (plan.status, plan.test) == ("drifted", "chi2")
    assert plan.p_value < 1e-10 and plan.psi > 0.1
    assert report.features[0].feature == "plan"


def test_new_missing_and_retyped_columns_are_reported_most_severe_first() -> None:
    before = sample(1)
    after = sample(2).drop(columns=["tenure"]).assign(region="north", age=lambda f: f["age"].astype(str))
    report = measure_frame_drift(before, after)
    statuses = {f.feature: (f.status, f.severity) for f in report.features}
    assert statuses["tenure"] == ("missing", "high")
    assert statuses["age"] == ("type_changed", "high")
    assert statuses["region"] == ("new", "low")
    assert [f.feature for f in report.features][:2] == ["tenure", "age"]
    assert report.features[-1].severity == "none"


def test_null_rate_increase_is_flagged_even_when_values_look_alike() -> None:
    report = measure_frame_drift(sample(1), sample(2, null_rate=0.2))
    tenure = report.feature("tenure")
    assert tenure.is_drifted and any("null rate" in r for r in tenure.reasons)
    assert tenure.current_null_rate == pytest.approx(0.2, abs=0.02)


def test_thresholds_decide_what_counts_as_drift() -> None:
    before, after = profile_frame(sample(1)), profile_frame(sample(2, shift=1.0))
    lenient = measure_drift(before, after, DriftThresholds(psi_moderate=5.0, psi_major=5.0, ks_statistic=0.9))
    strict = measure_drift(before, after, DriftThresholds(psi_moderate=0.01, ks_statistic=0.01))
    assert "income" not in lenient.drifted_features and "income" in strict.drifted_features


def test_profiles_without_feature_statistics_are_not_compared() -> None:
    mlflow_style = {"num_rows": 10, "num_elements": 30}
    report = measure_drift(mlflow_style, mlflow_style)
    assert report.features == [] and report.baseline_rows == 10


def test_p_values_match_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    for x, dof in [(0.5, 1), (3.84, 1), (12.0, 4), (95.0, 80), (700.0, 3)]:
        assert chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9, abs=1e-300)
    for lam in (0.3, 0.8, 1.36, 2.5):
        assert kolmogorov_sf(lam) == pytest.approx(stats.kstwobign.sf(lam), rel=1e-9)
    assert ks_p_value(0.05, 1000, 1000) == pytest.approx(stats.ks_2samp(
        np.linspace(0, 1, 1000), np.linspace(0.05, 1.05, 1000), method="asymp").pvalue, rel=0.1)
