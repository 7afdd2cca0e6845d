"""Profiles checked against statistics computed independently with NumPy and pandas."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cairn.datasets.profile import PERCENTILES, profile_frame
from cairn.datasets.schema import compare_schemas, schema_of

pytestmark = pytest.mark.store_independent(reason="profiles of in-memory tables; no store")

SEED = 7


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    rows = 20_000
    data = pd.DataFrame({
        "score": rng.gamma(2.0, 3.0, size=rows),
        "clicks": rng.poisson(4, size=rows),
        "plan": rng.choice(["free", "pro", "team", "enterprise"], p=[0.6, 0.25, 0.1, 0.05], size=rows),
        "active": rng.random(rows) < 0.7,
        "seen": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86_400 * 30, size=rows), unit="s"),
    })
    data.loc[rng.random(rows) < 0.03, "score"] = np.nan
    data.loc[rng.random(rows) < 0.01, "plan"] = None
    return data


def test_numeric_profile_matches_pandas_and_numpy(frame: pd.DataFrame) -> None:
    f = profile_frame(frame)["features"]["score"]
    values = frame["score"].dropna().to_numpy()
    assert (f["count"], f["nulls"]) == (frame["score"].count(), frame["score"].isna().sum())
    assert f["null_rate"] == pytest.approx(frame["score"].isna().mean())
    assert f["mean"] == pytest.approx(frame["score"].mean(), rel=1e-12)
    assert f["std"] == pytest.approx(frame["score"].std(), rel=1e-12)
    assert (f["min"], f["max"]) == (values.min(), values.max())
    for p in PERCENTILES:
        assert f["quantiles"][f"p{p}"] == pytest.approx(np.quantile(values, p / 100), rel=1e-12)
    counts, edges = np.histogram(values, bins=20)
    assert f["histogram"]["counts"] == counts.tolist()
    assert f["histogram"]["edges"] == pytest.approx(edges.tolist())
    assert len(f["percentiles"]) == 101 and f["percentiles"][50] == pytest.approx(np.median(values))


def test_integer_profile_matches_numpy(frame: pd.DataFrame) -> None:
    f = profile_frame(frame)["features"]["clicks"]
    values = frame["clicks"].to_numpy()
    assert f["mean"] == pytest.approx(values.mean()) and f["std"] == pytest.approx(values.std(ddof=1))
    assert (f["min"], f["max"]) == (int(values.min()), int(values.max()))
    assert f["quantiles"]["p95"] == pytest.approx(np.quantile(values, 0.95))
    assert f["histogram"]["counts"] == np.histogram(values, bins=20)[0].tolist()


def test_categorical_profile_counts_distinct_values_and_top_frequencies(frame: pd.DataFrame) -> None:
    f = profile_frame(frame)["features"]["plan"]
    expected = frame["plan"].value_counts()
    assert f["type"] == "categorical"
    assert (f["count"], f["nulls"], f["distinct"]) == (expected.sum(), frame["plan"].isna().sum(), len(expected))
    assert [(t["value"], t["count"]) for t in f["top"]] == list(zip(expected.index, expected.tolist()))
    assert f["top"][0]["frequency"] == pytest.approx(expected.iloc[0] / expected.sum())
    assert f["other_count"] == 0


def test_top_categories_are_capped_and_the_rest_counted_as_other() -> None:
    series = pd.Series([f"user-{i % 50}" for i in range(1000)])
    f = profile_frame(series.to_frame("user"), top=10)["features"]["user"]
    assert f["distinct"] == 50 and len(f["top"]) == 10 and f["other_count"] == 800


def test_booleans_and_datetimes_get_their_own_profiles(frame: pd.DataFrame) -> None:
    features = profile_frame(frame)["features"]
    active = {t["value"]: t["count"] for t in features["active"]["top"]}
    assert active == {"True": int(frame["active"].sum()), "False": int((~frame["active"]).sum())}
    assert features["seen"]["type"] == "datetime"
    assert features["seen"]["min"] == frame["seen"].min().isoformat()


def test_profile_is_json_and_keeps_mlflow_row_counts(frame: pd.DataFrame) -> None:
    profile = profile_frame(frame)
    assert (profile["num_rows"], profile["num_elements"]) == (len(frame), frame.size)
    assert json.loads(json.dumps(profile, allow_nan=False)) == profile


def test_infinities_are_counted_apart_and_an_all_null_column_has_no_statistics() -> None:
    data = pd.DataFrame({"x": [1.0, np.inf, 3.0, -np.inf], "empty": [np.nan] * 4})
    features = profile_frame(data)["features"]
    assert (features["x"]["infinite"], features["x"]["mean"], features["x"]["max"]) == (2, 2.0, 3.0)
    assert features["empty"]["nulls"] == 4 and features["empty"]["mean"] is None


def test_constant_column_histogram_spreads_like_numpy() -> None:
    f = profile_frame(pd.DataFrame({"k": [5] * 10}))["features"]["k"]
    counts, edges = np.histogram(np.array([5] * 10), bins=20)
    assert f["histogram"]["counts"] == counts.tolist() and f["histogram"]["edges"] == pytest.approx(edges.tolist())
    assert f["std"] == 0.0


def test_schema_records_mlflow_types_and_reports_changes(frame: pd.DataFrame) -> None:
    before = schema_of(frame)
    assert {c["name"]: (c["type"], c["required"]) for c in before["mlflow_colspec"]} == {
        "score": ("double", False), "clicks": ("long", True), "plan": ("string", False),
        "active": ("boolean", True), "seen": ("datetime", True)}
    after = schema_of(frame.drop(columns=["active"]).assign(clicks=frame["clicks"].astype("float64"), extra=1))
    change = compare_schemas(before, after)
    assert (change.added, change.removed) == (["extra"], ["active"])
    assert change.type_changed == [{"name": "clicks", "from": "int64", "to": "float64"}]
