"""Lineage walked both ways on a real embedded store: dataset -> runs -> model versions (with
their stage intervals) -> deployments, and back up to datasets, parent runs and commits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.client import fluent, tracking_uri
from cairn.entities import Dataset, DatasetInput
from cairn.errors import NotFound
from tests import backends

COMMIT = "3f1c0ffee0ddba11c0de5eed0f1ce0dd00d5eeda"


def open_store(uri: str) -> cairn.Client:
    fluent.set_tracking_uri(uri)
    return cairn.Client()


def close_store() -> None:
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent.set_tracking_uri(None)
    tracking_uri.close_all()


def build_world(client: cairn.Client) -> dict[str, str]:
    """Runs 'baseline' (train + validation data, a commit, a nested child run) and 'retrain' on the
    same training data, 'evaluation-only' using it for validation; model 'churn' v1 from baseline
    (Staging, then Production, then archived) and v2 from retrain (Production)."""
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"x": rng.normal(size=200), "y": rng.integers(0, 2, size=200)})
    validation = train.sample(50, random_state=3)
    with cairn.start_run(run_name="baseline", tags={"mlflow.source.git.commit": COMMIT}) as first:
        ds = cairn.log_dataset(train, "customers", context="training")
        cairn.log_dataset(validation, "customers-val", context="validation")
        cairn.log_text("weights", "model/model.pkl")
        with cairn.start_run(run_name="fold-1", nested=True) as child:
            cairn.log_metric("auc", 0.8)
    with cairn.start_run(run_name="retrain") as second:
        cairn.log_dataset(train, "customers", context="training")
        cairn.log_text("weights", "model/model.pkl")
    with cairn.start_run(run_name="evaluation-only") as third:
        cairn.log_dataset(train, "customers", context="validation")
    client.register_model(f"runs:/{first.info.run_id}/model", "churn")
    client.promote("churn", 1, "Staging")
    client.promote("churn", 1, "Production")
    client.register_model(f"runs:/{second.info.run_id}/model", "churn")
    client.promote("churn", 2, "Production", archive_existing_versions=True)
    return {"digest": ds.digest, "first": first.info.run_id, "second": second.info.run_id,
            "third": third.info.run_id, "child": child.info.run_id}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One store for the module's read-only tests."""
    folder = tmp_path_factory.mktemp("lineage") / "store"
    with pytest.MonkeyPatch.context() as mp, backends.embedded_store(folder) as uri:
        mp.setenv("CAIRN_CAPTURE", "none")
        try:
            yield uri, build_world(open_store(uri))
        finally:
            close_store()


@pytest.fixture
def client(shared: tuple[str, dict[str, str]]) -> cairn.Client:
    return open_store(shared[0])


@pytest.fixture
def world(shared: tuple[str, dict[str, str]]) -> dict[str, str]:
    return shared[1]


@pytest.fixture
def fresh_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[cairn.Client]:
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    with backends.embedded_store(tmp_path / "store") as uri:
        yield open_store(uri)
        close_store()


def test_dataset_downstream_reaches_runs_and_the_versions_registered_from_them(client, world) -> None:
    graph = client.lineage(world["digest"])
    root = f"dataset:{world['digest']}"
    assert graph.roots == [root]
    assert {n.id for n in graph.downstream(root)} == {f"run:{world[k]}" for k in ("first", "second", "third")}
    contexts = {e.target: e.attributes["context"] for e in graph.edges if e.source == root}
    assert contexts[f"run:{world['third']}"] == "validation"
    assert [n.id for n in graph.downstream(f"run:{world['first']}")] == ["model_version:churn/1"]
    assert {n.label: n.attributes["current_stage"] for n in graph.model_versions()} == {
        "churn v1": "Archived", "churn v2": "Production"}


def test_which_production_models_were_trained_on_a_dataset_is_one_call(client, world) -> None:
    graph = client.lineage("customers")
    assert [n.id for n in graph.model_versions("Production", context="training")] == ["model_version:churn/2"]
    assert graph.model_versions("Production", context="validation") == []


def test_version_upstream_reaches_its_run_datasets_and_commit(client, world) -> None:
    graph = client.lineage("models:/churn/1")
    assert graph.roots == ["model_version:churn/1"]
    [run] = graph.upstream("model_version:churn/1")
    assert run.id == f"run:{world['first']}" and run.attributes["commit"] == COMMIT
    feeding = {n.id: n.kind for n in graph.upstream(run.id)}
    assert feeding[f"dataset:{world['digest']}"] == "dataset" and feeding[f"commit:{COMMIT}"] == "commit"
    assert sorted(n.attributes["name"] for n in graph.upstream(run.id) if n.kind == "dataset") == [
        "customers", "customers-val"]


def test_version_carries_the_stage_intervals_it_held(client, world) -> None:
    node = client.lineage("models:/churn/1").nodes["model_version:churn/1"]
    stages = node.attributes["stages"]
    assert [s["stage"] for s in stages] == ["Staging", "Production"]
    assert stages[0]["end"] == stages[1]["start"] and stages[1]["end"] is not None
    current = client.lineage("models:/churn/Production")
    assert current.nodes["model_version:churn/2"].attributes["stages"][0]["end"] is None


def test_child_run_upstream_includes_its_parent_and_what_fed_the_parent(client, world) -> None:
    graph = client.lineage(f"run:{world['child']}")
    parent = f"run:{world['first']}"
    assert [n.id for n in graph.upstream(f"run:{world['child']}")] == [parent]
    assert f"dataset:{world['digest']}" in {n.id for n in graph.upstream(parent)}


def test_only_the_version_serving_the_deployment_links_to_it(client, world) -> None:
    graph = client.lineage(world["digest"])
    # v2 is churn's Production version, so the deployment's primary arm serves it.
    [edge] = [e for e in graph.edges if e.relation == "deployed"]
    assert (edge.source, edge.target, edge.attributes["arm"]) == ("model_version:churn/2", "deployment:churn", "primary")
    assert graph.downstream("model_version:churn/1") == []


def test_graph_exports_as_json_dot_and_mermaid(client, world) -> None:
    graph = client.lineage("models:/churn/2")
    doc = graph.to_dict()
    assert {n["kind"] for n in doc["nodes"]} == {"model_version", "run", "dataset", "deployment"}
    assert '"model_version:churn/2" [label="churn v2", shape=component, style=bold];' in graph.to_dot()
    mermaid = graph.to_mermaid()
    assert mermaid.startswith("flowchart LR\n") and "-->|training|" in mermaid and "-->|registered|" in mermaid


def test_dataset_recorded_by_mlflow_without_profile_still_has_lineage(fresh_client) -> None:
    client = fresh_client
    run = client.create_run("0")
    mlflow_style = Dataset("iris", "a1b2c3d4", "code", "{}", None, '{"num_rows": 150, "num_elements": 600}')
    client.log_inputs(run.run_id, [DatasetInput(mlflow_style, {"mlflow.data.context": "training"})])
    graph = client.lineage("a1b2c3d4")
    assert graph.nodes["dataset:a1b2c3d4"].attributes["rows"] == 150
    assert [n.id for n in graph.downstream("dataset:a1b2c3d4")] == [f"run:{run.run_id}"]


def test_unknown_reference_is_not_found(client, world) -> None:
    with pytest.raises(NotFound, match="Nothing named 'no-such-thing'"):
        client.lineage("no-such-thing")
    with pytest.raises(NotFound):
        client.lineage("models:/no-such-model/1")
