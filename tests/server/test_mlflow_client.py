"""The real ``mlflow`` client, unmodified, through an everyday workflow against ``cairn server``,
with one worker and with two."""

from __future__ import annotations

import ctypes
import http.client
import math
import os
import socket
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import psutil
import pytest
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

from tests.mlflow_models import SKLEARN_REQUIREMENTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def tracking_server(request: pytest.FixtureRequest, server: Any, server_factory: Callable[..., Any]) -> Any:
    return server if request.param == 1 else server_factory(workers=request.param)


@pytest.fixture
def client(tracking_server: Any) -> Iterator[MlflowClient]:
    mlflow.set_tracking_uri(tracking_server.url)
    yield MlflowClient(tracking_server.url)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_everyday_workflow(client: MlflowClient, tmp_path: Path) -> None:
    experiment = mlflow.set_experiment(f"compat-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run(run_name="baseline") as run:
        run_id = run.info.run_id
        mlflow.log_params({"lr": 0.1, "depth": 3})
        mlflow.log_metric("loss", 0.5, step=1)
        mlflow.set_tags({"team": "vision"})
        client.log_batch(run_id, metrics=[Metric("curve", i / 1000, 1_000 + i, i) for i in range(1000)])
    with mlflow.start_run(run_name="worse"):
        mlflow.log_params({"lr": 0.1, "depth": 5})
        mlflow.log_metric("loss", 0.9, step=1)

    history = client.get_metric_history(run_id, "curve")
    assert [m.step for m in history] == list(range(1000)) and history[10].value == 0.01

    frame = mlflow.search_runs([experiment.experiment_id], filter_string="params.lr = '0.1'",
                               order_by=["metrics.loss DESC"])
    assert list(frame["tags.mlflow.runName"]) == ["worse", "baseline"]
    assert list(frame["metrics.loss"]) == [0.9, 0.5] and list(frame["params.depth"]) == ["5", "3"]

    first = client.search_runs([experiment.experiment_id], max_results=1, order_by=["attributes.run_name"])
    second = client.search_runs([experiment.experiment_id], max_results=1, order_by=["attributes.run_name"],
                                page_token=first.token)
    assert [r.info.run_name for r in [*first, *second]] == ["baseline", "worse"] and not second.token

    finished = client.get_run(run_id)
    assert finished.info.status == "FINISHED" and finished.data.params == {"lr": "0.1", "depth": "3"}
    assert finished.data.tags["team"] == "vision"


def test_artifacts_of_several_megabytes_round_trip(client: MlflowClient, tmp_path: Path) -> None:
    payload = os.urandom(6 * 1024 * 1024 + 123)
    source = tmp_path / "weights.bin"
    source.write_bytes(payload)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source), artifact_path="data")
        mlflow.log_text("hello", "notes/readme.txt")
    listing = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listing] == [("data", True), ("notes", True)]
    files = client.list_artifacts(run.info.run_id, "data")
    assert [(f.path, f.file_size) for f in files] == [("data/weights.bin", len(payload))]
    downloaded = client.download_artifacts(run.info.run_id, "data/weights.bin", str(tmp_path / "out"))
    assert Path(downloaded).read_bytes() == payload
    whole = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "all"))
    assert (Path(whole) / "notes" / "readme.txt").read_text() == "hello"


def test_nan_and_infinite_metrics_read_back_through_get_run_search_and_history(client: MlflowClient) -> None:
    """A diverged loss must not break every later read: the client's protobuf parser refuses
    bare NaN/Infinity tokens and reads only the quoted strings."""
    mlflow.set_experiment(f"nan-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        run_id = run.info.run_id
        mlflow.log_metrics({"nan": math.nan, "up": math.inf, "down": -math.inf, "fine": 0.25})
        client.log_batch(run_id, metrics=[Metric("curve", v, 1_000 + i, i)
                                          for i, v in enumerate([1.0, math.nan, math.inf, -math.inf])])

    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"]) and metrics["up"] == math.inf and metrics["down"] == -math.inf
    assert metrics["fine"] == 0.25 and metrics["curve"] == -math.inf  # the latest is the largest step

    found = client.search_runs([run.info.experiment_id], filter_string="metrics.up > 1e308")
    assert [r.info.run_id for r in found] == [run_id] and math.isnan(found[0].data.metrics["nan"])
    frame = mlflow.search_runs([run.info.experiment_id])
    assert list(frame["metrics.down"]) == [-math.inf]

    values = [m.value for m in client.get_metric_history(run_id, "curve")]
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf]


def test_nan_metrics_of_a_logged_model_read_back(client: MlflowClient) -> None:
    experiment_id = mlflow.set_experiment(f"nan-{uuid.uuid4().hex[:8]}").experiment_id
    with mlflow.start_run() as run:
        model = client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
        client.log_metric(run.info.run_id, "loss", math.nan, model_id=model.model_id)
        client.log_metric(run.info.run_id, "gain", math.inf, model_id=model.model_id)
    metrics = {m.key: m.value for m in client.get_logged_model(model.model_id).metrics or []}
    assert math.isnan(metrics["loss"]) and metrics["gain"] == math.inf
    found = client.search_logged_models([experiment_id])
    assert [m.model_id for m in found] == [model.model_id]


def test_error_codes_for_a_missing_run_and_a_param_overwrite(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as missing:
        client.get_run(uuid.uuid4().hex)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        with pytest.raises(MlflowException) as overwrite:
            client.log_param(run.info.run_id, "lr", 0.2)
    assert overwrite.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_messages_the_mlflow_client_surfaces_start_with_mlflows_wording(client: MlflowClient) -> None:
    experiment_id = client.create_experiment(f"words-{uuid.uuid4().hex[:8]}")
    run_id = client.create_run(experiment_id).info.run_id
    with pytest.raises(MlflowException, match="No tag with name: fakeTag"):
        client.delete_tag(run_id, "fakeTag")
    with pytest.raises(MlflowException, match=r"Run .+ not found"):
        client.delete_tag("fake_run_id", "taggity")
    with pytest.raises(MlflowException, match=r"Duplicate parameter keys have been submitted: \['a'\]") as duplicate:
        client.log_batch(run_id, params=[Param("a", "1"), Param("a", "2")])
    assert duplicate.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="control character U\\+0000") as control:
        client.create_experiment("bad\x00name")
    assert control.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {}


def test_delete_and_restore_a_run(client: MlflowClient) -> None:
    with mlflow.start_run() as run:
        pass
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    ids = [r.info.run_id for r in client.search_runs([run.info.experiment_id])]
    assert run.info.run_id not in ids
    client.restore_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"


# mlflow warns from its own signature inference of its ResponsesAgent types while saving any
# pyfunc model; nothing in this test can avoid it.
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")
def test_sklearn_model_logged_into_a_run_loads_back_and_predicts_the_same(client: MlflowClient) -> None:
    rng = np.random.default_rng(7)
    features = rng.random((60, 4))
    labels = (features[:, 0] + features[:, 1] > 1).astype(int)
    model = LogisticRegression().fit(features, labels)
    with mlflow.start_run() as run:
        mlflow.log_metric("accuracy", float(model.score(features, labels)))
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=SKLEARN_REQUIREMENTS)
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(features) == model.predict(features)).all()
    logged = client.get_logged_model(info.model_id)
    assert logged.status.to_proto() == 2 and logged.source_run_id == run.info.run_id  # READY
    assert [m.key for m in logged.metrics or []] == ["accuracy"]
    assert len(client.get_metric_history(run.info.run_id, "accuracy")) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="reads the server's socket through pidfd_getfd, a Linux call")
def test_keep_alive_connections_are_not_held_back_by_nagle(tracking_server: Any) -> None:
    """Nagle's algorithm holds a response's second segment until the client's delayed ACK (~40 ms a
    response on a keep-alive connection) unless the server sets TCP_NODELAY on the accepted socket:
    the socket the server holds for this test's connection, taken from its process, must have it."""
    connection = http.client.HTTPConnection(tracking_server.url.removeprefix("http://"), timeout=30)
    try:
        for _ in range(2):  # the same keep-alive connection answers twice
            connection.request("GET", "/health")
            response = connection.getresponse()
            assert response.status == 200 and response.read()
        assert connection.sock is not None
        server_side = accepted_socket(tracking_server.process.pid, connection.sock.getsockname())
        with server_side:
            assert server_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        connection.close()


_SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture


def accepted_socket(server_pid: int, client_address: tuple[str, int]) -> socket.socket:
    """A duplicate of the socket that the server (or one of its worker processes) accepted for the
    connection from ``client_address``."""
    libc = ctypes.CDLL(None, use_errno=True)
    server = psutil.Process(server_pid)
    for process in [server, *server.children(recursive=True)]:
        pidfd = os.pidfd_open(process.pid)
        try:
            for entry in Path(f"/proc/{process.pid}/fd").iterdir():
                try:
                    if not os.readlink(entry).startswith("socket:"):
                        continue
                except FileNotFoundError:  # closed meanwhile
                    continue
                fd = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(entry.name), 0)
                assert fd >= 0, os.strerror(ctypes.get_errno())
                held = socket.socket(fileno=fd)
                try:
                    if held.family == socket.AF_INET and held.getpeername() == client_address:
                        return held
                except OSError:  # a listening or unconnected socket
                    pass
                held.close()
        finally:
            os.close(pidfd)
    raise AssertionError(f"no server process holds the connection from {client_address}")
