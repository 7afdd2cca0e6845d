"""/mlflow/upload-artifact: the web UI's upload of one small file into a run's artifacts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

UPLOAD = "/ajax-api/2.0/mlflow/upload-artifact"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def client(server: Any) -> MlflowClient:
    return MlflowClient(server.url)


@pytest.fixture
def run_id(client: MlflowClient) -> str:
    return str(client.create_run(client.create_experiment(f"upload-{uuid.uuid4().hex[:10]}")).info.run_id)


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def test_uploaded_file_is_a_run_artifact_the_mlflow_client_downloads(
    http: httpx.Client, client: MlflowClient, run_id: str, tmp_path: Path
) -> None:
    response = http.post(UPLOAD, params={"run_uuid": run_id, "path": "notes/hello.txt"}, content=b"hello world")
    assert response.status_code == 200, response.text
    assert [(f.path, f.is_dir) for f in client.list_artifacts(run_id)] == [("notes", True)]
    assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "notes")] == [("notes/hello.txt", 11)]
    local = client.download_artifacts(run_id, "notes/hello.txt", str(tmp_path))
    assert Path(local).read_bytes() == b"hello world"


def test_upload_of_exactly_ten_megabytes_is_accepted(http: httpx.Client, client: MlflowClient, run_id: str) -> None:
    response = http.post(UPLOAD, params={"run_uuid": run_id, "path": "big.bin"}, content=b"x" * TEN_MB)
    assert response.status_code == 200, response.text
    assert [f.file_size for f in client.list_artifacts(run_id)] == [TEN_MB]


def test_upload_over_ten_megabytes_is_refused_and_stores_nothing(
    http: httpx.Client, client: MlflowClient, run_id: str
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while the body streams in
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    declared = http.post(UPLOAD, params={"run_uuid": run_id, "path": "big.bin"}, content=b"x" * (TEN_MB + 1))
    assert "Artifact size is too large. Max size is 10MB" in error_of(declared, 400, "INVALID_PARAMETER_VALUE")
    streamed = http.post(UPLOAD, params={"run_uuid": run_id, "path": "big.bin"}, content=chunks())
    assert "Artifact size is too large" in error_of(streamed, 400, "INVALID_PARAMETER_VALUE")
    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize(
    ("params", "content", "message"),
    [
        ({}, b"x", "Request must specify run_uuid."),
        ({"run_uuid": "RUN"}, b"x", "Request must specify path."),
        ({"run_uuid": "RUN", "path": ""}, b"x", "Request must specify path."),
        ({"run_uuid": "RUN", "path": "../test.txt"}, b"x", "Invalid path"),
        ({"run_uuid": "RUN", "path": "/etc/passwd"}, b"x", "Invalid path"),
        ({"run_uuid": "RUN", "path": "a/%2e%2e/b"}, b"x", "Invalid path"),
        ({"run_uuid": "RUN", "path": "a\\b.txt"}, b"x", "Invalid path"),
        ({"run_uuid": "RUN", "path": "test.txt"}, b"", "Request must specify data."),
    ],
)
def test_bad_uploads_are_refused(
    http: httpx.Client, run_id: str, client: MlflowClient, params: dict[str, str], content: bytes, message: str
) -> None:
    params = {k: run_id if v == "RUN" else v for k, v in params.items()}
    assert message in error_of(http.post(UPLOAD, params=params, content=content), 400, "INVALID_PARAMETER_VALUE")
    assert client.list_artifacts(run_id) == []


def test_upload_to_an_unknown_run_is_404(http: httpx.Client) -> None:
    response = http.post(UPLOAD, params={"run_uuid": "0" * 32, "path": "a.txt"}, content=b"x")
    error_of(response, 404, "RESOURCE_DOES_NOT_EXIST")


def test_upload_is_bound_by_the_artifact_limit_not_the_json_body_limit(server_factory: Callable[..., Any]) -> None:
    limited = server_factory("--max-body-bytes", "1024", "--max-artifact-bytes", str(64 * 1024))
    with httpx.Client(base_url=limited.url) as http:
        experiment = http.post("/api/2.0/mlflow/experiments/create", json={"name": "limits"}).json()["experiment_id"]
        run = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": experiment}).json()["run"]["info"]
        params = {"run_uuid": run["run_id"], "path": "f.bin"}
        assert http.post(UPLOAD, params=params, content=b"x" * 4096).status_code == 200
        error_of(http.post(UPLOAD, params=params, content=b"x" * (65 * 1024)), 413, "INVALID_PARAMETER_VALUE")
