"""Cairn's dataset, diff, lineage and drift routes: the SDK through ``cairn server`` answers with
the same facts as the embedded store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import cairn
from cairn.client import tracking_uri
from cairn.errors import InvalidParameter, NotFound
from tests import backends

pytestmark = pytest.mark.slow

CAIRN = "/api/cairn/v1"


@pytest.fixture
def remote(server_url: str) -> Iterator[cairn.Client]:
    sdk = cairn.Client(tracking_uri=server_url)
    yield sdk
    sdk.close()
    tracking_uri.close_all()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[cairn.Client]:
    with backends.embedded_store(tmp_path / "store") as uri:
        sdk = cairn.Client(tracking_uri=uri)
        yield sdk
        sdk.close()
        tracking_uri.close_all()


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(uuid.uuid4().int % 2**32)  # a fresh digest: the session server is shared
    return pd.DataFrame({"x": rng.normal(size=200), "label": rng.choice(["yes", "no"], size=200)})


def _two_runs(client: cairn.Client, frame: pd.DataFrame) -> tuple[str, str, Any]:
    experiment_id = client.create_experiment(f"ds-{uuid.uuid4().hex[:10]}")
    a, b = client.create_run(experiment_id, run_name="a"), client.create_run(experiment_id, run_name="b")
    client.log_params(a.run_id, {"lr": 0.1, "depth": 3})
    client.log_params(b.run_id, {"lr": 0.2, "depth": 3})
    for step in range(3):
        client.log_metric(a.run_id, "loss", 1.0 / (step + 1), step=step)
        client.log_metric(b.run_id, "loss", 0.5 / (step + 1), step=step)
    client.log_text(a.run_id, "numpy==1.26.0\npandas==2.1.0\n", "environment/requirements.txt")
    client.log_text(b.run_id, "numpy==2.0.0\npandas==2.1.0\n", "environment/requirements.txt")
    dataset = client.log_dataset(a.run_id, frame, "train", context="training")
    client.log_dataset(b.run_id, frame, "train", context="training")
    client.log_dataset(b.run_id, frame.head(50), "holdout", context="validation")
    client.flush()
    return a.run_id, b.run_id, dataset


def _shape(lineage: Any) -> tuple[list[tuple[str, str]], list[tuple[str, Any]]]:
    nodes = sorted((n.kind, n.label.split(" (")[0]) for n in lineage.nodes.values())  # labels carry run ids
    edges = sorted((e.relation, e.attributes.get("context")) for e in lineage.edges)
    return nodes, edges


def test_datasets_lineage_and_diff_through_the_server_match_embedded(remote: cairn.Client, local: cairn.Client,
                                                                     frame: pd.DataFrame) -> None:
    ra, rb, logged = _two_runs(remote, frame)
    la, lb, _ = _two_runs(local, frame)

    found = remote.search_datasets(digest=logged.digest)
    expected = local.search_datasets(digest=logged.digest)
    assert [(r.dataset.name, r.dataset.digest, r.run_count, r.contexts) for r in found] == \
        [(r.dataset.name, r.dataset.digest, r.run_count, r.contexts) for r in expected]
    assert found[0].run_count == 2 and found[0].contexts == ("training",)
    assert remote.search_datasets(name="holdout", context="validation", experiment_ids=[found[0].experiment_id])

    record = remote.get_dataset(logged.digest[:12])
    assert record.dataset.profile is not None
    assert record.dataset.profile == local.get_dataset(logged.digest[:12]).dataset.profile
    assert record.dataset.schema == local.get_dataset(logged.digest[:12]).dataset.schema
    uses = remote.list_dataset_runs(logged.digest)
    assert [(u.run_id, u.context) for u in uses] == [(ra, "training"), (rb, "training")]

    graph = remote.lineage(logged.digest)
    assert graph.roots == [f"dataset:{logged.digest}"]
    assert _shape(graph) == _shape(local.lineage(logged.digest))
    assert {n.id for n in graph.downstream(f"dataset:{logged.digest}")} == {f"run:{ra}", f"run:{rb}"}
    assert _shape(remote.lineage(rb)) == _shape(local.lineage(lb))

    served = remote.backend.diff_runs_on_server(ra, rb)  # type: ignore[attr-defined]
    embedded = local.diff_runs(la, lb)
    for section in ("params", "metrics", "data", "environment", "seeds"):
        assert getattr(served, section) == getattr(embedded, section), section
    assert served.params == remote.diff_runs(ra, rb).params
    assert served.params["changed"]
    assert served.environment["packages"]["upgraded"] == {"numpy": {"a": "1.26.0", "b": "2.0.0"}}  # from artifacts

    report = remote.backend.drift_on_server(logged.digest, rb)  # type: ignore[attr-defined]
    assert report.to_dict() == local.measure_drift(logged.digest, lb).to_dict()
    assert remote.measure_drift(logged.digest, rb).to_dict() == report.to_dict()


def test_unknown_refs_are_404_and_bad_parameters_400(remote: cairn.Client, server_url: str) -> None:
    with pytest.raises(NotFound):
        remote.get_dataset("f" * 64)
    with pytest.raises(NotFound):
        remote.lineage("no-such-dataset-" + uuid.uuid4().hex)
    with pytest.raises(InvalidParameter):
        remote.search_datasets(max_results=0)
    with httpx.Client(base_url=server_url, timeout=30) as http:
        for path in ("/datasets/get", "/datasets/runs", "/lineage"):
            response = http.get(CAIRN + path, params={"ref": "nothing-" + uuid.uuid4().hex})
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        missing_run = http.get(CAIRN + "/runs/diff", params={"a": "0" * 32, "b": "1" * 32})
        assert missing_run.status_code == 404
        for path, params in (("/datasets/search", {"max_results": "many"}),
                             ("/datasets/search", {"experiment_ids": "x"}),
                             ("/datasets/get", {"ref": ""}),
                             ("/runs/diff", {"a": "0" * 32})):
            response = http.get(CAIRN + path, params=params)
            assert response.status_code == 400, (path, params, response.text)
            assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        drift = http.post(CAIRN + "/drift", json={"baseline": "nothing-" + uuid.uuid4().hex})
        assert drift.status_code == 400
