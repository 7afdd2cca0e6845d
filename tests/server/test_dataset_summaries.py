"""/mlflow/experiments/search-datasets: the datasets the runs of some experiments used, as the web
UI's dataset filter asks for them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from mlflow.entities import Dataset, DatasetInput, InputTag
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
SEARCH = "/ajax-api/2.0/mlflow/experiments/search-datasets"


def dataset_input(name: str, digest: str, context: str | None = None) -> DatasetInput:
    tags = [InputTag("mlflow.data.context", context)] if context else []
    return DatasetInput(Dataset(name=name, digest=digest, source_type="local", source="/data/x.csv"), tags=tags)


def test_summaries_name_each_dataset_and_context_runs_used(server: Any, http: httpx.Client) -> None:
    client = MlflowClient(server.url)
    experiment_id = client.create_experiment(f"summaries-{uuid.uuid4().hex[:10]}")
    first = client.create_run(experiment_id).info.run_id
    second = client.create_run(experiment_id).info.run_id
    client.log_inputs(first, [dataset_input("train", "d1", "training"), dataset_input("raw", "d0")])
    client.log_inputs(second, [dataset_input("train", "d1", "training"), dataset_input("train", "d1b", "eval")])
    for prefix in PREFIXES:
        response = http.post(f"{prefix}/experiments/search-datasets", json={"experiment_ids": [experiment_id]})
        assert response.status_code == 200, response.text
        assert response.json()["dataset_summaries"] == [
            {"experiment_id": experiment_id, "name": "raw", "digest": "d0"},
            {"experiment_id": experiment_id, "name": "train", "digest": "d1", "context": "training"},
            {"experiment_id": experiment_id, "name": "train", "digest": "d1b", "context": "eval"},
        ]


def test_an_experiment_without_datasets_gives_an_empty_message(http: httpx.Client, new_experiment: Any) -> None:
    response = http.post(SEARCH, json={"experiment_ids": [new_experiment()]})
    assert response.status_code == 200 and response.json() == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": []}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": [f"id_{i}" for i in range(21)]}, "SearchDatasets request cannot specify more than 20"),
        ({"experiment_ids": ["not-a-number"]}, "Invalid experiment id"),
        ({"experiment_ids": "1"}, "experiment_ids"),
    ],
)
def test_bad_requests_are_refused(http: httpx.Client, body: dict[str, Any], message: str) -> None:
    response = http.post(SEARCH, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in response.json()["message"]


def test_only_post_is_accepted(http: httpx.Client) -> None:
    assert http.get(SEARCH, params={"experiment_ids": "0"}).status_code == 405
