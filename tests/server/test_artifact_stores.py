"""``cairn server`` over each artifact store, a folder and ``--artifacts-destination
s3://bucket/prefix`` on a real S3 server (SeaweedFS): the unmodified mlflow client logs and
downloads through the artifact proxy, downloads honour Range and refuse a corrupted blob, and a
misconfigured bucket stops the server at start."""

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
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from cairn.artifacts.s3_upload import PART_SIZE

pytestmark = pytest.mark.slow

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
STARTUP_TIMEOUT_S = 60


@dataclass
class StoreServer:
    """A running server and a view of its store's objects (``blobs/...``, ``tree/...``)."""

    url: str
    destination: str
    seaweedfs: Any = None

    def _split(self) -> tuple[str, str]:
        bucket, _, prefix = self.destination.removeprefix("s3://").partition("/")
        return bucket, prefix

    def keys(self, under: str) -> list[str]:
        if self.seaweedfs is None:
            root = Path(self.destination)
            return sorted(p.relative_to(root).as_posix() for p in (root / under).rglob("*") if p.is_file())
        bucket, prefix = self._split()
        pages = self.seaweedfs.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/{under}")
        return sorted(item["Key"].removeprefix(f"{prefix}/") for page in pages for item in page.get("Contents", []))

    def write(self, name: str, data: bytes) -> None:
        if self.seaweedfs is None:
            path = Path(self.destination, name)
            path.chmod(0o600)
            path.write_bytes(data)
        else:
            bucket, prefix = self._split()
            self.seaweedfs.client().put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=data)


@pytest.fixture(scope="module", params=["local", "s3"])
def store_server(request: pytest.FixtureRequest, server_factory: Callable[..., Any],
                 tmp_path_factory: pytest.TempPathFactory) -> StoreServer:
    if request.param == "local":
        folder = str(tmp_path_factory.mktemp("store-server") / "artifacts")
        return StoreServer(server_factory("--artifacts-destination", folder).url, folder)
    seaweedfs = request.getfixturevalue("seaweedfs")
    destination = seaweedfs.new_destination()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in seaweedfs.env.items():
            patch.setenv(name, value)  # read once, by the server process at its start
        server = server_factory("--artifacts-destination", destination)
    return StoreServer(server.url, destination, seaweedfs)


@pytest.fixture
def client(store_server: StoreServer) -> Iterator[MlflowClient]:
    mlflow.set_tracking_uri(store_server.url)
    # An experiment of this server: mlflow.set_experiment() in an earlier test leaves its id in
    # MLFLOW_EXPERIMENT_ID, which start_run() would otherwise look for here.
    mlflow.set_experiment("artifact-stores")
    yield MlflowClient(store_server.url)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def run_root(client: MlflowClient, run_id: str) -> str:
    return str(client.get_run(run_id).info.artifact_uri).removeprefix("mlflow-artifacts:/")


def test_mlflow_client_logs_and_downloads_a_multipart_file_and_a_tree(
    client: MlflowClient, store_server: StoreServer, tmp_path: Path
) -> None:
    payload = os.urandom(2 * PART_SIZE + 12_345)  # three parts of a multipart upload
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(payload)
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "model"), artifact_path="model")
        mlflow.log_text("hello", "notes/readme.txt")

    files = client.list_artifacts(run.info.run_id, "model")
    assert [(f.path, f.file_size) for f in files] == [("model/MLmodel", 12), ("model/weights.bin", len(payload))]
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl")))
    assert (local / "model" / "weights.bin").read_bytes() == payload
    assert (local / "notes" / "readme.txt").read_text() == "hello"

    # The bytes are in the bucket, content-addressed, and nothing is left staged.
    digest = hashlib.sha256(payload).hexdigest()
    assert f"blobs/{digest[:2]}/{digest}" in store_server.keys("blobs/")
    root = run_root(client, run.info.run_id)
    assert store_server.keys(f"tree/{root}/") == [
        f"tree/{root}/model/MLmodel", f"tree/{root}/model/weights.bin", f"tree/{root}/notes/readme.txt",
    ]  # fmt: skip
    assert store_server.keys("tmp/") == []


def test_range_requests_get_partial_content(client: MlflowClient, store_server: StoreServer) -> None:
    with mlflow.start_run() as run:
        mlflow.log_text("".join(chr(32 + i % 90) for i in range(20_000)), "blob.txt")
    url = f"{store_server.url}{PROXY}/{run_root(client, run.info.run_id)}/blob.txt"
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"

    part = httpx.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206, part.text
    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
    assert part.content == whole.content[100:1100] and part.headers["content-length"] == "1000"
    tail = httpx.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]

    head = httpx.head(url, headers={"Range": "bytes=100-1099"})
    assert head.status_code == 206 and head.headers["content-length"] == "1000" and head.content == b""
    assert httpx.head(url).headers["content-length"] == str(len(whole.content))

    beyond = httpx.get(url, headers={"Range": f"bytes={len(whole.content)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole.content)}"
    assert beyond.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_corrupted_blob_fails_the_download_loudly(
    client: MlflowClient, store_server: StoreServer, tmp_path: Path
) -> None:
    payload = os.urandom(3 << 20)
    (tmp_path / "weights.bin").write_bytes(payload)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "weights.bin"))
    digest = hashlib.sha256(payload).hexdigest()
    store_server.write(f"blobs/{digest[:2]}/{digest}", payload[:-1] + bytes([payload[-1] ^ 0xFF]))

    with pytest.raises((MlflowException, OSError)):
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl"))
    url = f"{store_server.url}{PROXY}/{run_root(client, run.info.run_id)}/weights.bin"
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", url) as response:
        assert response.headers["content-length"] == str(len(payload))
        for chunk in response.iter_bytes():
            received += chunk
    assert len(received) < len(payload)  # never the whole, wrong, file


def start_and_fail(tmp_path: Path, env: dict[str, str], *args: str, module: str = "cairn.server.run") -> str:
    """Run the server with ``args`` and return what it printed when it refused to start."""
    command = [sys.executable, "-m", module, *(["server"] if module == "cairn.cli" else []),
               "--port", str(free_port()), "--backend-store-uri", str(tmp_path / "store"), *args]  # fmt: skip
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=STARTUP_TIMEOUT_S)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_misconfigured_buckets_stop_the_server_at_start(seaweedfs: Any, tmp_path: Path) -> None:
    good = seaweedfs.env
    destination = seaweedfs.new_destination()

    missing = start_and_fail(tmp_path, good, "--artifacts-destination", f"s3://missing-{uuid.uuid4().hex[:8]}/x")
    assert "does not exist" in missing and "Error:" in missing
    from_cli = start_and_fail(tmp_path, good, "--artifacts-destination", "s3://missing-bucket/x", module="cairn.cli")
    assert from_cli.startswith("Error: The bucket 'missing-bucket' does not exist")

    bad_keys = start_and_fail(tmp_path, {**good, "AWS_SECRET_ACCESS_KEY": "wrong"}, "--artifacts-destination", destination)
    assert "refused access" in bad_keys and "AWS_SECRET_ACCESS_KEY" in bad_keys

    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = start_and_fail(tmp_path, good, "--artifacts-destination", destination, "--s3-endpoint-url", nowhere)
    assert "Cannot reach" in unreachable and nowhere in unreachable
