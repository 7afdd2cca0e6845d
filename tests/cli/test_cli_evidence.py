"""``cairn models requirements``, ``cairn models benchmark``, the evidence options of
``cairn models policy``, what ``models show``, ``diff`` and ``deployments compare`` print of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.client import fluent, tracking_uri
from tests import backends

COLUMNS = 200
FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0, 28.0, 61.0], "visits": [1, 7, 3, 9, 2, 8]})
LABELS = [0, 1, 0, 1, 0, 1]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """'churn' v1 and v2 (sklearn), v1 with slice metrics on its source run; v1 in Production."""
    from sklearn.linear_model import LogisticRegression

    home = tmp_path_factory.mktemp("cli-evidence")
    with pytest.MonkeyPatch.context() as patch, backends.embedded_store(home / "store") as uri:
        patch.setenv("CAIRN_CAPTURE", "none")
        fluent.set_tracking_uri(uri)
        try:
            for c in (1.0, 0.5):
                with cairn.start_run():
                    model = LogisticRegression(C=c).fit(FEATURES, LABELS)
                    cairn.log_model(model, "model", input_example=FEATURES, registered_model_name="churn")
                    rng = np.random.default_rng(1)
                    y = rng.integers(0, 2, 300)
                    by = pd.DataFrame({"country": ["US"] * 200 + ["FR"] * 100})
                    scores = np.concatenate([y[:200] * 0.9 + 0.05, 1 - y[200:]])
                    cairn.log_slice_metrics(y, scores, by=by, metrics=["auc"])
            cairn.Client().promote("churn", 1, "Production")
            yield uri, home
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()


@pytest.fixture
def cli(store: tuple[str, Path], in_process: Callable[..., object]) -> object:
    return in_process(store[0], store[1], COLUMNS)


def test_requirements_benchmark_and_show(cli) -> None:  # type: ignore[no-untyped-def]
    stated = cli("models", "requirements", "churn", "1", "--latency-p99", "250ms", "--max-batch", "4", "--cpu",
                 "--memory", "2GiB", "--json").json()["requirements"]
    assert (stated["latency_p99_ms"], stated["max_batch"], stated["device"], stated["memory_bytes"]) == \
        (250.0, 4, "cpu", 2 * 2**30)
    bench = cli("models", "benchmark", "churn", "1", "--rows", "12", "--json").json()
    assert bench["requests"] == 12 and bench["batch_rows"] == 4 and bench["batches"] == 3
    assert 0 < bench["p50_ms"] <= bench["p99_ms"] and bench["rows_per_s"] > 0 and bench["batch_rows_per_s"] > 0
    assert bench["machine"]["cpu_count"] >= 1 and bench["source"] == "input_example"
    shown = cli("models", "show", "churn/1", "--json").json()
    assert shown["requirements"]["max_batch"] == 4 and shown["benchmark"]["p99_ms"] == bench["p99_ms"]
    assert shown["worst_slices"][0]["slice"] == "country:FR" and shown["worst_slices"][0]["rows"] == 100
    assert not any(key.startswith("slice/") for key in shown["metrics"])
    text = cli("models", "show", "churn/1").stdout
    assert "Worst slices" in text and "Serving requirements" in text and "Latency benchmark" in text
    assert "250 ms" in text and "batches of 4" in text


def test_benchmark_replays_a_table_of_rows_cut_to_the_signature(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = tmp_path / "rows.csv"
    FEATURES.assign(label=LABELS).to_csv(table, index=False)
    bench = cli("models", "benchmark", "churn", "1", "--dataset", str(table), "--rows", "8", "--batch", "4",
                "--json").json()
    assert bench["source"] == f"dataset:{table}" and bench["requests"] == 8 and bench["batches"] == 2
    missing = tmp_path / "short.csv"
    FEATURES[["age"]].to_csv(missing, index=False)
    refused = cli("models", "benchmark", "churn", "1", "--dataset", str(missing))
    assert refused.returncode != 0 and "lacks the column(s) the model's signature needs: visits" in refused.stderr


def test_bad_requirements_exit_with_the_reason(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("models", "requirements", "churn", "1", "--memory", "lots")
    assert result.returncode != 0 and "should look like 2GiB" in result.stderr
    result = cli("models", "policy", "churn", "--latency", "fast please")
    assert result.returncode != 0 and "'p99 <= budget' or 'p99 <= 20ms'" in result.stderr


def test_policy_gates_refuse_and_compare_says_which_would_pass(cli) -> None:  # type: ignore[no-untyped-def]
    policy = cli("models", "policy", "churn", "--latency", "p99 <= 0.001ms", "--shadow-agreement", "95%",
                 "--shadow-min-pairs", "10", "--require-slice", "auc >= 0.8 for every slice with >= 50 rows",
                 "--json").json()["policy"]
    assert policy["max_latency_p99_ms"] == 0.001 and policy["min_shadow_agreement"] == 0.95
    assert policy["required_slices"] == [{"metric": "auc", "op": ">=", "threshold": 0.8, "min_rows": 50}]
    assert "slice gates" in cli("models", "policy", "churn").stdout
    refused = cli("models", "promote", "churn", "2", "--to", "Production")
    assert refused.returncode != 0
    assert "latency: observed no benchmark" in refused.stderr and "cairn models benchmark churn 2" in refused.stderr
    assert "slices:auc: observed country:FR: auc 0 over 100 rows" in refused.stderr
    assert "shadow_agreement: observed 0 paired requests" in refused.stderr
    cli("deployments", "set", "churn", "--shadow", "2")
    compared = cli("deployments", "compare", "churn", "--json").json()
    (candidate,) = compared["gates"]
    assert candidate["arm"] == "shadow" and candidate["version"] == 2 and candidate["would_pass"] is False
    assert {r["name"] for r in candidate["results"]} == {"latency", "shadow_agreement", "slices:auc"}
    assert candidate["evidence"]["shadow_pairs"] == 0
    text = cli("deployments", "compare", "churn").stdout
    assert "v2 would be refused now" in text and "shadow_agreement" in text
    diff = cli("diff", "models:/churn/1", "models:/churn/2", "--json").json()
    assert diff["metrics"]["worst_slices"]["b"][0]["slice"] == "country:FR"
