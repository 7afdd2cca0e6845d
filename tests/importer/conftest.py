"""A real ``mlflow server`` (SQLite backend, local artifact root) filled by the real mlflow
client, once per session; a reader that takes everything the mlflow client can see from a
tracking URI, so an MLflow server and a Cairn server can be compared field by field; and
``cairn import`` run as the command a user types."""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

STARTUP_TIMEOUT_S = 120
IMPORT_TIMEOUT_S = 240
MODEL = "churn-model"
FEATURES = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1], [0.4, 0.6], [0.7, 0.2]]
LABELS = [0, 1, 0, 1, 0, 1]


@dataclass
class MlflowStore:
    """An MLflow store on disk (``mlflow.db`` and ``artifacts/`` under ``root``), and the URL of
    the server over it when one runs."""

    root: Path
    url: str | None = None

    @property
    def db_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    def copy_to(self, dest: Path) -> MlflowStore:
        """A copy of the database (SQLite's online backup) and the artifact folder."""
        dest.mkdir(parents=True)
        source, target = sqlite3.connect(self.root / "mlflow.db"), sqlite3.connect(dest / "mlflow.db")
        with target:
            source.backup(target)
        source.close()
        target.close()
        shutil.copytree(self.artifacts, dest / "artifacts")
        return MlflowStore(dest)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mlflow_command() -> str:
    beside = Path(sys.executable).parent / "mlflow"
    return str(beside) if beside.exists() else "mlflow"


@contextmanager
def _mlflow_server(store: MlflowStore) -> Iterator[MlflowStore]:
    """``mlflow server`` over ``store``'s files until the block ends; yields the store with its URL."""
    port = _free_port()
    root = store.root
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true"}
    command = [_mlflow_command(), "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--serve-artifacts",
               "--artifacts-destination", str(root / "artifacts"), "--workers", "1"]
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        # Its own session: the server starts worker processes, stopped with it as one group.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    served = MlflowStore(root, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(served.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)  # polling for readiness, not ordering test steps
        yield served
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _filled_once(shared: Path) -> MlflowStore:
    """The filled store's files in ``shared``, written by the first test process of the run to
    ask (the others wait on a lock, then copy them): filling takes the mlflow client half a
    minute, once per run instead of once per process."""
    shared.mkdir(exist_ok=True)
    store = MlflowStore(shared / "store")
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "filled").exists():
            shutil.rmtree(store.root, ignore_errors=True)
            store.root.mkdir()
            with _mlflow_server(store) as served:
                _fill(served.url)
            (shared / "filled").touch()
    return store


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowStore]:
    """A real ``mlflow server`` over the filled store, one per test process. Under pytest-xdist
    the processes share one filling (``_filled_once``) and each serves its own copy of it, so
    nothing one process does can reach another's."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        root = tmp_path_factory.mktemp("mlflow-store")
        with _mlflow_server(MlflowStore(root)) as served:
            _fill(served.url)
            yield served
        return
    # The run's own temp folder (pytest-N), shared by its worker processes and by no other run.
    filled = _filled_once(tmp_path_factory.getbasetemp().parent / "mlflow-store-filled")
    copy = filled.copy_to(tmp_path_factory.mktemp("mlflow-store") / "store")
    with _mlflow_server(copy) as served:
        yield served


def _fill(url: str) -> None:
    """Two experiments (and a deleted one), runs with histories (a NaN, an infinity), params, tags,
    files, a dataset input, a nested run and a deleted run, three logged sklearn models, and a
    registered model with four versions in four stages, tags, a description and an alias."""
    import warnings

    import mlflow
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    churn = client.create_experiment("churn", tags={"team": "growth"})
    vision = client.create_experiment("vision")
    client.delete_experiment(client.create_experiment("abandoned"))
    features, labels = np.array(FEATURES), np.array(LABELS)
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's deprecation and type-hint notes
        for i in range(3):
            with mlflow.start_run(experiment_id=churn, run_name=f"train-{i}") as run:
                mlflow.log_params({"C": 10.0 ** (i - 1), "seed": i})
                for step in range(6):
                    mlflow.log_metric("loss", 1.0 / (step + 1 + i), step=step)
                mlflow.log_metric("accuracy", math.nan if i == 1 else 0.5 + i / 10)
                if i == 2:
                    mlflow.log_metric("grad_norm", math.inf)
                mlflow.set_tags({"kind": "baseline", "owner": "ana"})
                mlflow.log_text(f"run {i}\n", "notes.txt")
                mlflow.log_dict({"i": i}, "plots/summary.json")
                if i == 0:
                    mlflow.log_input(mlflow.data.from_numpy(features, targets=labels, name="train"),
                                     context="training")
                model = LogisticRegression(C=10.0 ** (i - 1)).fit(features, labels)
                mlflow.sklearn.log_model(model, name="model", registered_model_name=MODEL,
                                         pip_requirements=["scikit-learn"])
                runs.append(run.info.run_id)
        with mlflow.start_run(experiment_id=vision, run_name="sweep"):
            with mlflow.start_run(experiment_id=vision, run_name="trial", nested=True):
                mlflow.log_metric("iou", 0.7)
        with mlflow.start_run(experiment_id=vision, run_name="mistake") as mistake:
            mlflow.log_param("oops", "yes")
        client.delete_run(mistake.info.run_id)
        mlflow.register_model(f"runs:/{runs[0]}/model", MODEL)  # version 4, stage None
        client.transition_model_version_stage(MODEL, "1", "Archived")
        client.transition_model_version_stage(MODEL, "2", "Staging")
        client.transition_model_version_stage(MODEL, "3", "Production")
    client.set_registered_model_alias(MODEL, "champion", "3")
    client.set_model_version_tag(MODEL, "3", "validated", "yes")
    client.update_model_version(MODEL, "2", description="candidate")
    client.update_registered_model(MODEL, description="churn classifier")
    client.set_registered_model_tag(MODEL, "domain", "retention")
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="session")
def read_store() -> Callable[[str], dict[str, Any]]:
    """Everything the mlflow client reads from a tracking URI, as plain data keyed by ids."""
    return _read


def _read(uri: str) -> dict[str, Any]:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(uri)
    mlflow.set_tracking_uri(uri)
    try:
        experiments = client.search_experiments(view_type=ViewType.ALL)
        ids = [e.experiment_id for e in experiments]
        runs = [r for e in ids for r in client.search_runs([e], run_view_type=ViewType.ALL)]
        logged = client.search_logged_models(experiment_ids=ids)
        models = client.search_registered_models()
        return {
            "experiments": {e.name: {"id": e.experiment_id, "artifact_location": e.artifact_location,
                                     "lifecycle_stage": e.lifecycle_stage, "creation_time": e.creation_time,
                                     "last_update_time": e.last_update_time, "tags": e.tags} for e in experiments},
            "runs": {r.info.run_id: _run(client, r) for r in runs},
            "logged_models": {m.model_id: _logged_model(m) for m in logged},
            "registered_models": {m.name: _registered_model(client, m) for m in models},
        }
    finally:
        mlflow.set_tracking_uri(None)


def _number(value: float) -> float | str:
    return "NaN" if math.isnan(value) else value


def _run(client: Any, run: Any) -> dict[str, Any]:
    info = run.info
    return {
        "info": {k: getattr(info, k) for k in ("run_id", "run_name", "experiment_id", "user_id", "status",
                                               "start_time", "end_time", "artifact_uri", "lifecycle_stage")},
        "params": run.data.params,
        "tags": run.data.tags,
        "metrics": {k: _number(v) for k, v in run.data.metrics.items()},
        "history": {k: [(m.step, m.timestamp, _number(m.value)) for m in client.get_metric_history(info.run_id, k)]
                    for k in run.data.metrics},
        "inputs": [(d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source, d.dataset.schema,
                    sorted((t.key, t.value) for t in d.tags)) for d in run.inputs.dataset_inputs],
        "outputs": sorted((o.model_id, o.step) for o in (run.outputs.model_outputs if run.outputs else [])),
        "files": _files(lambda dest: client.download_artifacts(info.run_id, "", dest)),
    }


def _logged_model(model: Any) -> dict[str, Any]:
    import mlflow

    return {
        "fields": {k: getattr(model, k) for k in ("name", "experiment_id", "artifact_location", "creation_timestamp",
                                                  "last_updated_timestamp", "status", "source_run_id")},
        "tags": model.tags,
        "params": model.params,
        "metrics": sorted((m.key, _number(m.value), m.step, m.timestamp, m.run_id) for m in model.metrics or []),
        "files": _files(lambda dest: mlflow.artifacts.download_artifacts(model.artifact_location, dst_path=dest)),
    }


def _registered_model(client: Any, model: Any) -> dict[str, Any]:
    versions = client.search_model_versions(f"name='{model.name}'")
    return {
        "fields": {k: getattr(model, k) for k in ("description", "tags", "aliases", "creation_timestamp",
                                                  "last_updated_timestamp")},
        # MLflow orders latest_versions as its rows come; the set of (stage, version) is what it says.
        "latest_versions": sorted((v.current_stage, v.version) for v in model.latest_versions),
        "versions": {v.version: dict(client.get_model_version(model.name, v.version)) for v in versions},
        "by_alias": {a: client.get_model_version_by_alias(model.name, a).version for a in model.aliases},
        "download_uris": {v.version: client.get_model_version_download_uri(model.name, v.version) for v in versions},
    }


def _files(download: Callable[[str], str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(download(folder))
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def cairn_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``cairn ARGS`` as a user would (a subprocess), returning its exit code and output."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cairn.cli", *args], capture_output=True, text=True,
                              timeout=IMPORT_TIMEOUT_S, env={**os.environ, **(env or {})})

    return run


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cairn_main(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``cairn ARGS`` run in this process through ``cairn.cli.main`` (a Python start per call costs
    seconds), for checks that need no second process."""

    def run(*args: str) -> Ran:
        from cairn import cli

        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def counts(summary: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """kind -> (copied, already there, failed) from ``cairn import ... --json``."""
    return {k["kind"]: (k["copied"], k["already_there"], k["failed"]) for k in summary["kinds"]}


@pytest.fixture(scope="session")
def import_counts() -> Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]]:
    return counts
