"""mlflow's ``log_input`` through ``cairn server`` records the dataset with its digest, and Cairn's
SDK and run search see it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import mlflow
import pandas as pd
import pytest

import cairn
from cairn.client import tracking_uri

pytestmark = pytest.mark.slow


@pytest.fixture
def tracking_url(server: Any) -> Iterator[str]:
    mlflow.set_tracking_uri(server.url)
    yield server.url
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
    tracking_uri.close_all()  # the REST backend's keep-alive connection


def test_mlflow_log_input_is_recorded_with_its_digest(tracking_url: str) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    dataset = mlflow.data.from_pandas(frame, name="toy")
    experiment = mlflow.set_experiment(f"inputs-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")

    client = cairn.Client(tracking_uri=tracking_url)
    recorded = client.get_run(run.info.run_id).inputs
    assert [(i.dataset.name, i.dataset.digest) for i in recorded] == [("toy", dataset.digest)]
    assert recorded[0].tags["mlflow.data.context"] == "training"
    found = client.search_runs([experiment.experiment_id], f"datasets.digest = '{dataset.digest}'").items
    assert [r.run_id for r in found] == [run.info.run_id]
    client.close()
