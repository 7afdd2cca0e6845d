"""Where MLflow kept files on a local disk (its default set-up) or under an experiment id that
Cairn had already given away, the files land in Cairn's store and what pointed at them (a
version's source, a run's artifact URI) points at the copies."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest

from cairn.client import tracking_uri
from cairn.client.client import Client
from cairn.store.database import open_database
from cairn.tracking import experiments

from .conftest import FEATURES, MODEL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

RUN_ID = "f" * 32


def test_a_version_whose_source_is_a_local_path_points_at_the_copied_files(
    tmp_path: Path, mlflow_store: Any, cairn_cli: Callable[..., Any],
    import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    source = mlflow_store.copy_to(tmp_path / "mlflow")
    local = tmp_path / "mlruns" / "20"
    model_folder = local / RUN_ID / "artifacts" / "model"
    shutil.copytree(next(source.artifacts.glob("1/models/*/artifacts")), model_folder)
    with sqlite3.connect(source.root / "mlflow.db") as conn:
        conn.execute("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                     "last_update_time) VALUES (20, 'local', ?, 'active', 1, 1)", (str(local),))
        conn.execute("INSERT INTO runs (run_uuid, name, source_type, user_id, status, start_time, end_time, "
                     "lifecycle_stage, artifact_uri, experiment_id) VALUES (?, 'fit', 'LOCAL', 'ana', 'FINISHED', "
                     "1, 2, 'active', ?, 20)", (RUN_ID, f"file://{local / RUN_ID / 'artifacts'}"))
        conn.execute("INSERT INTO registered_models (name, creation_time, last_updated_time) VALUES ('local', 1, 1)")
        conn.execute("INSERT INTO model_versions (name, version, creation_time, last_updated_time, user_id, "
                     "current_stage, source, run_id, status) VALUES ('local', 1, 1, 1, 'ana', 'None', ?, ?, 'READY')",
                     (str(model_folder), RUN_ID))
    store = tmp_path / "cairn"
    done = cairn_cli("--tracking-uri", str(store), "import", "mlflow", "--from", source.db_uri,
                     "--artifacts", str(source.artifacts), "--json")
    assert done.returncode == 0, done.stderr
    assert import_counts(json.loads(done.stdout))["model versions"] == (5, 0, 0)

    client = Client(tracking_uri=str(store))
    try:
        version = client.get_model_version("local", 1)
        run = client.get_run(RUN_ID)
        mlmodel = client.download_artifacts(RUN_ID, "model/MLmodel", tmp_path / "check")
    finally:
        tracking_uri.close_all()
    assert run.info.artifact_uri == f"mlflow-artifacts:/20/{RUN_ID}/artifacts"
    assert version.source == f"mlflow-artifacts:/20/{RUN_ID}/artifacts/model"
    assert mlmodel.read_bytes() == (model_folder / "MLmodel").read_bytes()


def test_an_experiment_whose_id_cairn_already_gave_away_gets_another_and_its_model_still_loads(
    tmp_path: Path, mlflow_store: Any, cairn_cli: Callable[..., Any], server_factory: Callable[..., Any],
) -> None:
    store, files = tmp_path / "store", tmp_path / "artifacts"
    db = open_database(f"sqlite:///{store / 'cairn.db'}")
    try:
        taken = experiments.create_experiment(db, "already-here")  # takes id 1, which MLflow's "churn" has
    finally:
        db.close()
    done = cairn_cli("--tracking-uri", str(store), "import", "mlflow", "--from", mlflow_store.db_uri,
                     "--artifacts", str(mlflow_store.artifacts), env={"CAIRN_ARTIFACTS_ROOT": str(files)})
    assert done.returncode == 0, done.stderr

    cairn = server_factory("--backend-store-uri", str(store), "--artifacts-destination", str(files))
    client = mlflow.MlflowClient(cairn.url)
    churn = client.get_experiment_by_name("churn")
    assert taken == "1" and churn is not None and churn.experiment_id != "1"
    run = client.search_runs([churn.experiment_id])[0]
    assert run.info.artifact_uri == f"mlflow-artifacts:/{churn.experiment_id}/{run.info.run_id}/artifacts"
    assert _predictions(cairn.url) == _predictions(mlflow_store.url)


def _predictions(uri: str) -> list[int]:
    mlflow.set_tracking_uri(uri)
    try:
        return [int(p) for p in mlflow.pyfunc.load_model(f"models:/{MODEL}@champion").predict(np.array(FEATURES))]
    finally:
        mlflow.set_tracking_uri(None)
