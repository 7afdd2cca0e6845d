"""MLflow's root-level downloads, /get-artifact and /model-versions/get-artifact, as its web UI
calls them: a run's file and a registered version's file, attachments with nosniff; bad paths are
MLflow's "Invalid path"; external versions are refused, never fetched."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

UPLOAD = "/ajax-api/2.0/mlflow/upload-artifact"


@pytest.fixture
def client(server: Any) -> MlflowClient:
    return MlflowClient(server.url)


@pytest.fixture
def run_id(client: MlflowClient, http: httpx.Client) -> str:
    run = client.create_run(client.create_experiment(f"get-{uuid.uuid4().hex[:10]}")).info.run_id
    response = http.post(UPLOAD, params={"run_uuid": run, "path": "model/MLmodel"}, content=b"flavors: {}\n")
    assert response.status_code == 200, response.text
    return str(run)


def test_run_file_is_downloaded_by_run_uuid_or_run_id(http: httpx.Client, run_id: str) -> None:
    for key in ("run_uuid", "run_id"):
        response = http.get("/get-artifact", params={key: run_id, "path": "model/MLmodel"})
        assert response.status_code == 200, response.text
        assert response.content == b"flavors: {}\n"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"].startswith("attachment")


def test_model_version_file_is_downloaded(http: httpx.Client, client: MlflowClient, run_id: str) -> None:
    name = f"m-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run_id}/model", run_id)
    response = http.get("/model-versions/get-artifact", params={"name": name, "version": "1", "path": "MLmodel"})
    assert response.status_code == 200, response.text
    assert response.content == b"flavors: {}\n"


@pytest.mark.parametrize("path", ["../secret", "/etc/passwd", "model/../../x"])
def test_traversal_is_refused_with_mlflows_words(http: httpx.Client, run_id: str, path: str) -> None:
    response = http.get("/get-artifact", params={"run_uuid": run_id, "path": path})
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert response.json()["message"].startswith("Invalid path")


def test_missing_run_and_missing_file_are_404(http: httpx.Client, run_id: str) -> None:
    missing_run = http.get("/get-artifact", params={"run_uuid": "0" * 32, "path": "x"})
    missing_file = http.get("/get-artifact", params={"run_uuid": run_id, "path": "nothing.txt"})
    assert (missing_run.status_code, missing_run.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert (missing_file.status_code, missing_file.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_external_version_files_are_refused_not_fetched(http: httpx.Client, client: MlflowClient) -> None:
    name = f"ext-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    client.create_model_version(name, "s3://team-bucket/models/churn", None)
    response = http.get("/model-versions/get-artifact", params={"name": name, "version": "1", "path": "MLmodel"})
    assert response.status_code == 400, response.text
    assert "outside Cairn's artifact store" in response.json()["message"]
