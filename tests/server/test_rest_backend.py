"""The Cairn SDK against a server: ``cairn.Client(tracking_uri=server_url)`` uses RestBackend."""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import cairn
from cairn.client import tracking_uri
from cairn.client.backends import RestBackend
from cairn.entities import Metric, Param, RunTag, ViewType
from cairn.errors import AlreadyExists, InvalidParameter, NotFound, StoreUnavailable

pytestmark = pytest.mark.slow


@pytest.fixture
def client(server_url: str) -> Iterator[cairn.Client]:
    sdk = cairn.Client(tracking_uri=server_url)
    yield sdk
    sdk.close()
    tracking_uri.close_all()


def test_the_client_uses_the_rest_backend_for_http_uris(client: cairn.Client) -> None:
    assert isinstance(client.backend, RestBackend)


def test_run_params_batched_metrics_history_and_search(client: cairn.Client) -> None:
    experiment_id = client.create_experiment(f"sdk-{uuid.uuid4().hex[:8]}", tags={"team": "vision"})
    run = client.create_run(experiment_id, run_name="sdk-run")
    client.log_params(run.run_id, {"lr": 0.1, "layers": 4})
    for step in range(2500):
        client.log_metric(run.run_id, "loss", 1 / (step + 1), step=step)
    client.log_metric(run.run_id, "odd", math.nan)
    client.set_terminated(run.run_id)

    history = client.get_metric_history(run.run_id, "loss")
    assert [m.step for m in history] == list(range(2500)) and history[1].value == 0.5
    assert math.isnan(client.get_metric_history(run.run_id, "odd")[0].value)

    found = client.search_runs([experiment_id], "params.lr = '0.1'", order_by=["metrics.loss"])
    assert [r.run_id for r in found.items] == [run.run_id]
    stored = found.items[0]
    assert stored.info.status == "FINISHED" and stored.data.params == {"lr": "0.1", "layers": "4"}
    assert stored.data.metrics["loss"].step == 2499
    assert client.get_experiment(experiment_id).tags == {"team": "vision"}


def test_nan_and_infinities_round_trip_through_get_run_search_history_and_diff(client: cairn.Client) -> None:
    experiment_id = client.create_experiment(f"sdk-{uuid.uuid4().hex[:8]}")
    before, after = client.create_run(experiment_id), client.create_run(experiment_id)
    for step, value in enumerate([0.5, math.nan, math.inf, -math.inf]):
        client.log_metric(after.run_id, "loss", value, step=step)
    client.log_metric(before.run_id, "loss", math.nan)
    client.log_metric(after.run_id, "NaN", 1.0)  # a key spelled like the value is still a key
    client.flush()

    values = [m.value for m in client.get_metric_history(after.run_id, "loss")]
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf]
    assert client.get_run(after.run_id).data.metrics["loss"].value == -math.inf
    found = client.search_runs([experiment_id], order_by=["metrics.loss DESC"]).items
    assert {r.run_id: r.data.metrics["loss"].value for r in found}[after.run_id] == -math.inf
    assert math.isnan({r.run_id: r.data.metrics["loss"].value for r in found}[before.run_id])

    diff = client.backend.diff_runs_on_server(before.run_id, after.run_id)  # type: ignore[attr-defined]
    rows = {r["key"]: r for r in diff.metrics["metrics"]}
    assert math.isnan(rows["loss"]["a"]) and rows["loss"]["b"] == -math.inf
    assert math.isnan(rows["loss"]["curve_a"]["first"])
    assert rows["loss"]["curve_b"]["first"] == 0.5 and rows["loss"]["curve_b"]["last"] == -math.inf
    assert rows["NaN"]["b"] == 1.0 and rows["NaN"]["key"] == "NaN"


def test_artifacts_round_trip(client: cairn.Client, tmp_path: Path) -> None:
    run = client.create_run("0")
    payload = os.urandom(3 * 1024 * 1024)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "weights.bin").write_bytes(payload)
    (tmp_path / "src" / "sub").mkdir()
    (tmp_path / "src" / "sub" / "config.json").write_text('{"a": 1}')
    client.log_artifacts(run.run_id, tmp_path / "src", artifact_path="model")
    client.log_text(run.run_id, "hello", "notes.txt")

    top = client.list_artifacts(run.run_id)
    assert [(f.path, f.is_dir) for f in top] == [("model", True), ("notes.txt", False)]
    inner = client.list_artifacts(run.run_id, "model")
    assert [(f.path, f.file_size) for f in inner] == [("model/sub", None), ("model/weights.bin", len(payload))]

    single = client.download_artifacts(run.run_id, "model/weights.bin", tmp_path / "one")
    assert single == tmp_path / "one" / "weights.bin" and single.read_bytes() == payload
    tree = client.download_artifacts(run.run_id, "model", tmp_path / "tree")
    assert (tree / "sub" / "config.json").read_text() == '{"a": 1}'
    everything = client.download_artifacts(run.run_id, "", tmp_path / "all")
    assert (everything / "notes.txt").read_text() == "hello"
    with pytest.raises(NotFound):
        client.download_artifacts(run.run_id, "missing.bin", tmp_path / "none")
    assert list((tmp_path / "none").iterdir()) == []


def test_server_errors_come_back_as_the_same_exception_classes(client: cairn.Client) -> None:
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    with pytest.raises(AlreadyExists):
        client.create_experiment(name)
    with pytest.raises(NotFound):
        client.get_run(uuid.uuid4().hex)
    run = client.create_run(experiment_id)
    client.log_param(run.run_id, "lr", 0.1)
    with pytest.raises(InvalidParameter, match="immutable"):
        client.log_param(run.run_id, "lr", 0.2)
    assert client.get_experiment_by_name(f"absent-{uuid.uuid4().hex}") is None


def test_backend_calls_mirror_the_local_backend(server_url: str) -> None:
    backend = RestBackend(server_url)
    try:
        name = f"mirror-{uuid.uuid4().hex[:8]}"
        experiment_id = backend.create_experiment(name)
        page = backend.search_experiments(ViewType.ACTIVE_ONLY, 10, None, name)
        assert [e.experiment_id for e in page.items] == [experiment_id]
        backend.rename_experiment(experiment_id, name + "-x")
        backend.set_experiment_tag(experiment_id, "k", "v")
        assert backend.get_experiment(experiment_id).tags == {"k": "v"}
        run = backend.create_run(experiment_id, "ana", 1_700_000_000_000, {"t": "1"}, "named")
        backend.log_batch(run.run_id, [Metric("m", math.inf, 1, 0)], [Param("p", "v")], [RunTag("x", "y")])
        backend.delete_tag(run.run_id, "x")
        info = backend.update_run(run.run_id, "KILLED", 1_700_000_000_500, None)
        assert (info.status, info.end_time) == ("KILLED", 1_700_000_000_500)
        stored = backend.get_run(run.run_id)
        assert stored.data.metrics["m"].value == math.inf and "x" not in stored.data.tags
        paged = backend.get_metric_history(run.run_id, "m", 1, None)
        assert len(paged.items) == 1 and paged.next_page_token is None
        backend.delete_run(run.run_id)
        backend.restore_run(run.run_id)
        backend.delete_experiment(experiment_id)
        backend.restore_experiment(experiment_id)
    finally:
        backend.close()


def test_an_unreachable_server_is_store_unavailable() -> None:
    backend = RestBackend("http://127.0.0.1:9")
    try:
        with pytest.raises(StoreUnavailable, match="Cannot reach"):
            backend.get_experiment("0")
    finally:
        backend.close()
