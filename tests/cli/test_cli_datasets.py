"""``cairn datasets``, ``drift``, ``diff`` and ``lineage`` through the real console script."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cairn
from tests import backends

TERMINAL_COLUMNS = 200


@dataclass
class Store:
    uri: str
    home: Path
    ids: dict[str, str] = field(default_factory=dict)


def customers(seed: int, rows: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(50 + shift, 10, size=rows),
                         "plan": rng.choice(["free", "pro"], size=rows)})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Experiment 'churn': run 'baseline' on one customer table, 'retrain' on a shifted, larger one;
    model 'churn' v1 from baseline, v2 (Production) from retrain; a Parquet file of today's data."""
    home = tmp_path_factory.mktemp("cli-datasets")
    with backends.embedded_store(home / "store") as uri:
        yield from _populate(Store(uri=uri, home=home))


def _populate(populated: Store) -> Iterator[Store]:
    home = populated.home
    client = cairn.Client(tracking_uri=populated.uri)
    experiment = client.create_experiment("churn")
    for name, params, data, auc in (
        ("baseline", {"lr": 0.1, "depth": 3}, customers(1, 1000), 0.81),
        ("retrain", {"lr": 0.05, "depth": 3}, customers(2, 1200, shift=10.0), 0.86),
    ):
        run = client.create_run(experiment, run_name=name, start_time=1_700_000_000_000 + len(populated.ids))
        populated.ids[name] = run.run_id
        client.log_params(run.run_id, params)
        client.log_metric(run.run_id, "auc", auc, synchronous=True)
        populated.ids[f"{name}-digest"] = client.log_dataset(run.run_id, data, "customers").digest
        client.log_text(run.run_id, "weights", "model/model.pkl")
        client.register_model(f"runs:/{run.run_id}/model", "churn")
    client.promote("churn", 2, "Production")
    customers(3, 500, shift=10.0).to_parquet(home / "today.parquet")
    yield populated
    client.close()
    client.backend.close()


@pytest.fixture
def run(store: Store, in_process: Callable[[str, Path, int], Any]) -> Callable[..., Any]:
    """``run(*args)``: ``cairn ARGS...`` in this process (the console script itself is checked
    once below; a Python start per call would cost a second each)."""
    return in_process(store.uri, store.home, TERMINAL_COLUMNS)


def test_console_script_runs_the_lineage_command(store: Store, make_cli: Callable[[str, Path, int], Any]) -> None:
    result = make_cli(store.uri, store.home, TERMINAL_COLUMNS)("lineage", "models:/churn/2", "--format", "mermaid")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR") and "churn v2" in result.stdout


def test_datasets_list_shows_each_version_with_its_runs(run: Callable[..., Any], store: Store) -> None:
    rows = run("datasets", "list", "--json").json()["datasets"]
    assert {(r["name"], r["digest"], r["run_count"], tuple(r["contexts"])) for r in rows} == {
        ("customers", store.ids["baseline-digest"], 1, ("training",)),
        ("customers", store.ids["retrain-digest"], 1, ("training",))}
    [only] = run("datasets", "list", "--digest", store.ids["retrain-digest"][:10], "--json").json()["datasets"]
    assert only["digest"] == store.ids["retrain-digest"]
    assert store.ids["baseline-digest"][:12] in run("datasets", "list").stdout


def test_datasets_show_prints_the_profile_and_the_runs_that_used_it(run: Callable[..., Any], store: Store) -> None:
    doc = run("datasets", "show", f"customers@{store.ids['baseline-digest'][:8]}", "--json").json()
    assert doc["profile"]["num_rows"] == 1000 and doc["profile"]["features"]["plan"]["distinct"] == 2
    assert [r["run_id"] for r in doc["runs"]] == [store.ids["baseline"]]
    human = run("datasets", "show", "customers").stdout
    assert "Profile" in human and "income" in human and "2 distinct" in human and "retrain" in human


def test_drift_between_two_datasets_flags_the_shifted_feature(run: Callable[..., Any], store: Store) -> None:
    doc = run("drift", store.ids["baseline-digest"], store.ids["retrain-digest"], "--json").json()
    assert doc["drifted"] == ["income"]
    assert [f["feature"] for f in doc["features"]] == ["income", "plan"]
    assert (doc["baseline_rows"], doc["current_rows"]) == (1000, 1200)
    human = run("drift", "baseline", "models:/churn/Production").stdout
    assert "1 drifted feature(s): income" in human


def test_drift_of_the_production_models_training_data_against_a_parquet_file(run: Callable[..., Any], store: Store) -> None:
    doc = run("drift", "models:/churn/Production", str(store.home / "today.parquet"), "--json").json()
    assert doc["drifted"] == [] and doc["current_rows"] == 500
    assert doc["baseline"].startswith("customers @")


def test_diff_names_runs_by_name_or_model_version(run: Callable[..., Any], store: Store) -> None:
    doc = run("diff", "baseline", "retrain", "-e", "churn", "--json").json()
    assert doc["params"]["changed"] == {"lr": {"a": "0.1", "b": "0.05"}}
    assert doc["metrics"]["metrics"][0]["delta"] == pytest.approx(0.05)
    assert doc["data"][0]["row_change"] == 200 and doc["data"][0]["moved_features"][0]["feature"] == "income"
    by_version = run("diff", "models:/churn/1", "models:/churn/2", "--json").json()
    assert (by_version["runs"]["a"]["run_id"], by_version["runs"]["b"]["run_id"]) == (
        store.ids["baseline"], store.ids["retrain"])
    human = run("diff", "baseline", "retrain").stdout
    assert "Params" in human and "changed" in human and "different data" in human and "+200" in human


def test_lineage_of_a_dataset_reaches_the_production_version(run: Callable[..., Any], store: Store) -> None:
    doc = run("lineage", store.ids["retrain-digest"], "--json").json()
    kinds = {n["id"]: n["kind"] for n in doc["nodes"]}
    assert kinds[f"run:{store.ids['retrain']}"] == "run" and kinds["model_version:churn/2"] == "model_version"
    assert {"source": f"run:{store.ids['retrain']}", "target": "model_version:churn/2", "relation": "registered",
            "attributes": {}} in doc["edges"]
    tree = run("lineage", "customers").stdout
    assert "downstream" in tree and "churn v2" in tree and "Production" in tree


def test_lineage_draws_mermaid_and_dot(run: Callable[..., Any], store: Store) -> None:
    mermaid = run("lineage", "models:/churn/2", "--format", "mermaid").stdout
    assert mermaid.startswith("flowchart LR") and "churn v2" in mermaid
    dot = run("lineage", "retrain", "--format", "dot").stdout
    assert dot.startswith("digraph lineage {") and f'"run:{store.ids["retrain"]}"' in dot


def test_errors_exit_with_one_line_or_usage_code(run: Any) -> None:
    missing = run("datasets", "show", "no-such-dataset")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: No dataset") and missing.stdout == ""
    assert run("lineage", "customers", "--format", "png").returncode == 2
