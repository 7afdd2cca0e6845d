"""``cairn server --artifacts-presigned`` over a real S3 server (SeaweedFS): the unmodified mlflow
client sends a large file's parts straight to the bucket through presigned URLs (MLflow's
multipart-upload API), and the file is then stored, listed, downloaded and collected like any
proxied upload. Bad requests are 4xx with MLflow's error codes; a server without the flag answers
as MLflow's does, and the mlflow client falls back to a proxied upload."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
from mlflow.tracking import MlflowClient

from cairn.artifacts.presigned import PRESIGNED_URL_EXPIRY_SECONDS
from cairn.artifacts.s3 import S3ArtifactStore
from cairn.artifacts.s3_location import parse_s3_url

pytestmark = pytest.mark.slow

MIB = 1 << 20
# S3 accepts parts of at least 5 MiB (but the last); a 12 MiB file goes up in three parts.
CHUNK_SIZE = 5 * MIB
MPU = "/api/2.0/mlflow-artifacts/mpu"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass
class PresignedServer:
    url: str
    destination: str
    server: Any
    seaweedfs: Any

    def bucket_and_prefix(self) -> tuple[str, str]:
        bucket, _, prefix = self.destination.removeprefix("s3://").partition("/")
        return bucket, prefix

    def keys(self, under: str) -> list[str]:
        bucket, prefix = self.bucket_and_prefix()
        pages = self.seaweedfs.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/{under}")
        return sorted(item["Key"].removeprefix(f"{prefix}/") for page in pages for item in page.get("Contents", []))

    def is_in_progress(self, upload_id: str) -> bool:
        """Whether S3 still holds the multipart upload behind ``upload_id`` (``<token>.<S3's id>``)."""
        bucket, prefix = self.bucket_and_prefix()
        found = self.seaweedfs.client().list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/tmp/")
        return upload_id.partition(".")[2] in [upload["UploadId"] for upload in found.get("Uploads", [])]

    def requests_logged(self) -> str:
        return str(self.server.log_text())


@pytest.fixture(scope="module")
def presigned(server_factory: Callable[..., Any], seaweedfs: Any) -> PresignedServer:
    destination = seaweedfs.new_destination()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in seaweedfs.env.items():
            patch.setenv(name, value)  # read once, by the server process at its start
        server = server_factory("--artifacts-destination", destination, "--artifacts-presigned", "--access-log")
    return PresignedServer(server.url, destination, server, seaweedfs)


@pytest.fixture
def multipart_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], MlflowClient]]:
    """The mlflow client set to upload files of 5 MiB or more in 5 MiB parts."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(CHUNK_SIZE))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(CHUNK_SIZE))

    def connect(url: str) -> MlflowClient:
        mlflow.set_tracking_uri(url)
        # set_experiment() in an earlier test leaves its id in MLFLOW_EXPERIMENT_ID.
        mlflow.set_experiment("presigned-uploads")
        return MlflowClient(url)

    yield connect
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def run_root(client: MlflowClient, run_id: str) -> str:
    return str(client.get_run(run_id).info.artifact_uri).removeprefix("mlflow-artifacts:/")


def large_file(folder: Path, name: str = "weights.bin") -> tuple[Path, bytes]:
    payload = os.urandom(2 * CHUNK_SIZE + 12_345)
    path = folder / name
    path.write_bytes(payload)
    return path, payload


def test_the_mlflow_client_sends_a_large_files_parts_straight_to_s3(
    presigned: PresignedServer, multipart_client: Callable[[str], MlflowClient], tmp_path: Path
) -> None:
    client = multipart_client(presigned.url)
    path, payload = large_file(tmp_path)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path), artifact_path="model")
        mlflow.log_text("small files go through the server", "notes.txt")
    root = run_root(client, run.info.run_id)

    # The parts went to S3: the server saw the create and complete calls, never the file's bytes.
    log = presigned.requests_logged()
    assert f'"POST {MPU}/create/{root}/model HTTP/1.1" 200' in log
    assert f'"POST {MPU}/complete/{root}/model HTTP/1.1" 200' in log
    assert f"{root}/model/weights.bin" not in log
    assert f'"PUT {PROXY}/{root}/notes.txt HTTP/1.1" 200' in log

    files = client.list_artifacts(run.info.run_id, "model")
    assert [(f.path, f.file_size) for f in files] == [("model/weights.bin", len(payload))]
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl")))
    assert (local / "model" / "weights.bin").read_bytes() == payload

    # Stored content-addressed, as a proxied upload is, with nothing left staged.
    digest = hashlib.sha256(payload).hexdigest()
    assert f"blobs/{digest[:2]}/{digest}" in presigned.keys("blobs/")
    assert not any(key.startswith("tmp/presigned-") for key in presigned.keys("tmp/"))
    tail = httpx.get(f"{presigned.url}{PROXY}/{root}/model/weights.bin", headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == payload[-100:]


def test_garbage_collection_keeps_a_presigned_upload_and_frees_what_is_deleted(
    presigned: PresignedServer, multipart_client: Callable[[str], MlflowClient], tmp_path: Path,
    s3_env: dict[str, str],
) -> None:
    client = multipart_client(presigned.url)
    kept_path, kept = large_file(tmp_path, "kept.bin")
    dropped_path, dropped = large_file(tmp_path, "dropped.bin")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(kept_path))
        mlflow.log_artifact(str(dropped_path))
    root = run_root(client, run.info.run_id)
    assert httpx.delete(f"{presigned.url}{PROXY}/{root}/dropped.bin").status_code == 200

    # The operator's `cairn gc`, with no grace period so the deleted file's blob goes now.
    store = S3ArtifactStore.connect(parse_s3_url(presigned.destination), gc_grace_seconds=0)
    try:
        freed = store.collect_garbage()
    finally:
        store.close()

    assert freed >= len(dropped)
    blobs = presigned.keys("blobs/")
    kept_digest, dropped_digest = hashlib.sha256(kept).hexdigest(), hashlib.sha256(dropped).hexdigest()
    assert f"blobs/{kept_digest[:2]}/{kept_digest}" in blobs
    assert f"blobs/{dropped_digest[:2]}/{dropped_digest}" not in blobs
    assert httpx.get(f"{presigned.url}{PROXY}/{root}/kept.bin").content == kept


def test_the_client_uses_presigned_parts_when_the_server_offers_them(
    presigned: PresignedServer, multipart_client: Callable[[str], MlflowClient], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD, the client asks the server's /server-info.
    monkeypatch.delenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD")
    info = httpx.get(f"{presigned.url}/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is True and info["multipart_downloads_enabled"] is False
    client = multipart_client(presigned.url)
    path, payload = large_file(tmp_path, "auto.bin")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path))
    root = run_root(client, run.info.run_id)
    assert f'"POST {MPU}/complete/{root} HTTP/1.1" 200' in presigned.requests_logged()
    assert httpx.get(f"{presigned.url}{PROXY}/{root}/auto.bin").content == payload


def start_upload(presigned: PresignedServer, directory: str, num_parts: int = 2) -> dict[str, Any]:
    response = httpx.post(f"{presigned.url}{MPU}/create/{directory}",
                          json={"path": "/home/me/data.bin", "num_parts": num_parts})  # fmt: skip
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def send_part(credential: dict[str, Any], data: bytes) -> dict[str, Any]:
    sent = httpx.put(credential["url"], content=data, headers=credential["headers"])
    assert sent.status_code == 200, sent.text
    return {"part_number": credential["part_number"], "etag": sent.headers["etag"]}


def test_the_presigned_urls_point_at_the_s3_endpoint(presigned: PresignedServer) -> None:
    directory = f"0/{uuid.uuid4().hex}/artifacts"
    created = start_upload(presigned, directory, num_parts=3)
    assert [c["part_number"] for c in created["credentials"]] == [1, 2, 3]
    for credential in created["credentials"]:
        assert credential["url"].startswith(presigned.seaweedfs.endpoint_url + "/")
        assert "X-Amz-Signature=" in credential["url"] and f"X-Amz-Expires={PRESIGNED_URL_EXPIRY_SECONDS}" in credential["url"]
    aborted = httpx.post(f"{presigned.url}{MPU}/abort/{directory}",
                         json={"path": "data.bin", "upload_id": created["upload_id"]})  # fmt: skip
    assert aborted.status_code == 200


def test_abort_removes_the_upload_and_the_parts_sent(presigned: PresignedServer) -> None:
    directory = f"0/{uuid.uuid4().hex}/artifacts"
    created = start_upload(presigned, directory)
    part = send_part(created["credentials"][0], os.urandom(CHUNK_SIZE))
    assert presigned.is_in_progress(created["upload_id"])

    body = {"path": "data.bin", "upload_id": created["upload_id"]}
    aborted = httpx.post(f"{presigned.url}{MPU}/abort/{directory}", json=body)
    assert aborted.status_code == 200, aborted.text
    assert not presigned.is_in_progress(created["upload_id"])

    late = httpx.post(f"{presigned.url}{MPU}/complete/{directory}", json={**body, "parts": [part]})
    assert late.status_code == 404 and late.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "No upload with this upload_id is in progress" in late.json()["message"]
    assert httpx.get(f"{presigned.url}{PROXY}/{directory}/data.bin").status_code == 404


def test_completing_with_wrong_parts_is_refused_and_the_upload_can_still_finish(presigned: PresignedServer) -> None:
    directory = f"0/{uuid.uuid4().hex}/artifacts"
    created = start_upload(presigned, directory)
    first, last = os.urandom(CHUNK_SIZE), os.urandom(1000)
    parts = [send_part(created["credentials"][0], first), send_part(created["credentials"][1], last)]
    url = f"{presigned.url}{MPU}/complete/{directory}"
    body = {"path": "data.bin", "upload_id": created["upload_id"]}

    refusals = {
        "etag": [parts[0], {**parts[1], "etag": '"0123456789abcdef0123456789abcdef"'}],
        "out of order": [parts[1], parts[0]],
        "empty": [],
        "unsent": [parts[0], parts[1], {"part_number": 3, "etag": parts[1]["etag"]}],
        "number": [{**parts[0], "part_number": 0}],
        "missing etag": [{"part_number": 1}],
    }
    for name, wrong in refusals.items():
        answer = httpx.post(url, json={**body, "parts": wrong})
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", name

    done = httpx.post(url, json={**body, "parts": parts})
    assert done.status_code == 200, done.text
    assert httpx.get(f"{presigned.url}{PROXY}/{directory}/data.bin").content == first + last


@pytest.mark.parametrize(
    ("route", "body", "status", "code"),
    [
        ("complete", {"upload_id": f"{uuid.uuid4().hex}.no-such-upload", "parts": [{"part_number": 1, "etag": "x"}]},
         404, "RESOURCE_DOES_NOT_EXIST"),
        ("complete", {"upload_id": "not-an-upload-id", "parts": [{"part_number": 1, "etag": "x"}]},
         404, "RESOURCE_DOES_NOT_EXIST"),
        ("abort", {"upload_id": f"{uuid.uuid4().hex}.no-such-upload"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("complete", {"upload_id": f"{uuid.uuid4().hex}.x"}, 400, "INVALID_PARAMETER_VALUE"),
        ("complete", {"upload_id": 7, "parts": []}, 400, "INVALID_PARAMETER_VALUE"),
        ("create", {"num_parts": 0}, 400, "INVALID_PARAMETER_VALUE"),
        ("create", {"num_parts": 10_001}, 400, "INVALID_PARAMETER_VALUE"),
        ("create", {"num_parts": "many"}, 400, "INVALID_PARAMETER_VALUE"),
        ("create", {"path": "/home/me/"}, 400, "INVALID_PARAMETER_VALUE"),
        ("create", {"path": "..", "num_parts": 1}, 400, "INVALID_PARAMETER_VALUE"),
    ],
    ids=["unknown-id", "malformed-id", "abort-unknown-id", "no-parts", "id-type", "zero-parts", "too-many-parts",
         "parts-type", "no-file-name", "dot-dot-name"],
)
def test_bad_requests_get_a_4xx_with_an_mlflow_error_code(
    presigned: PresignedServer, route: str, body: dict[str, Any], status: int, code: str
) -> None:
    answer = httpx.post(f"{presigned.url}{MPU}/{route}/0/{uuid.uuid4().hex}/artifacts",
                        json={"path": "data.bin", **body})  # fmt: skip
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code


def test_an_upload_id_only_completes_the_path_it_was_started_for(presigned: PresignedServer) -> None:
    directory = f"0/{uuid.uuid4().hex}/artifacts"
    created = start_upload(presigned, directory, num_parts=1)
    part = send_part(created["credentials"][0], b"a small last part")
    body = {"upload_id": created["upload_id"], "parts": [part]}

    elsewhere = httpx.post(f"{presigned.url}{MPU}/complete/0/{uuid.uuid4().hex}/artifacts",
                           json={**body, "path": "data.bin"})  # fmt: skip
    renamed = httpx.post(f"{presigned.url}{MPU}/complete/{directory}", json={**body, "path": "other.bin"})
    assert (elsewhere.status_code, renamed.status_code) == (404, 404)
    traversal = httpx.post(f"{presigned.url}{MPU}/complete/{directory}/%2e%2e/x", json={**body, "path": "data.bin"})
    assert traversal.status_code == 400 and traversal.json()["error_code"] == "INVALID_PARAMETER_VALUE"

    # Only the file name of the client's local path counts, whatever its system's separator.
    done = httpx.post(f"{presigned.url}{MPU}/complete/{directory}", json={**body, "path": "C:\\Users\\me\\data.bin"})
    assert done.status_code == 200, done.text
    assert httpx.get(f"{presigned.url}{PROXY}/{directory}/data.bin").content == b"a small last part"


def test_without_the_flag_the_mlflow_client_falls_back_to_a_proxied_upload(
    server: Any, multipart_client: Callable[[str], MlflowClient], tmp_path: Path
) -> None:
    answer = httpx.post(f"{server.url}{MPU}/create/0/x/artifacts", json={"path": "data.bin", "num_parts": 2})
    assert answer.status_code == 501 and answer.json()["error_code"] == "NOT_IMPLEMENTED"
    # The mlflow client recognizes MLflow's own words, and only those, as "use a proxied upload".
    assert answer.json()["message"].startswith("Multipart upload is not supported for the current artifact repository")
    assert httpx.get(f"{server.url}/api/3.0/mlflow/server-info").json()["multipart_uploads_enabled"] is False

    client = multipart_client(server.url)
    path, payload = large_file(tmp_path)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path))
    local = Path(client.download_artifacts(run.info.run_id, "weights.bin", str(tmp_path / "dl")))
    assert local.read_bytes() == payload


def test_presigned_uploads_without_an_s3_destination_stop_the_server_at_start(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "cairn.cli", "server", "--backend-store-uri", str(tmp_path / "store"),
               "--artifacts-destination", str(tmp_path / "artifacts"), "--artifacts-presigned"]  # fmt: skip
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: --artifacts-presigned needs an S3 artifact store"), done.stderr
    assert "Traceback" not in done.stderr


def test_the_artifact_size_limit_holds_for_presigned_uploads(server_factory: Callable[..., Any], seaweedfs: Any) -> None:
    destination = seaweedfs.new_destination()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in seaweedfs.env.items():
            patch.setenv(name, value)
        server = server_factory("--artifacts-destination", destination, "--artifacts-presigned",
                                "--max-artifact-bytes", str(CHUNK_SIZE + 10))  # fmt: skip
    limited = PresignedServer(server.url, destination, server, seaweedfs)
    directory = f"0/{uuid.uuid4().hex}/artifacts"
    created = start_upload(limited, directory)
    parts = [send_part(created["credentials"][0], os.urandom(CHUNK_SIZE)), send_part(created["credentials"][1], b"x" * 11)]
    body = {"path": "data.bin", "upload_id": created["upload_id"]}

    refused = httpx.post(f"{limited.url}{MPU}/complete/{directory}", json={**body, "parts": parts})
    assert refused.status_code == 413 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert f"limited to {CHUNK_SIZE + 10} bytes" in refused.json()["message"]
    assert limited.is_in_progress(created["upload_id"])  # not joined: the client's abort cleans up
    assert httpx.post(f"{limited.url}{MPU}/abort/{directory}", json=body).status_code == 200
    assert httpx.get(f"{limited.url}{PROXY}/{directory}/data.bin").status_code == 404
