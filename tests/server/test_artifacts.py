"""The artifact proxy (/api/2.0/mlflow-artifacts/artifacts) and /mlflow/artifacts/list."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.servers.seaweedfs import stored_files

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
NewRun = Callable[..., dict[str, Any]]


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def root_of(run: dict[str, Any]) -> str:
    return str(run["artifact_uri"]).removeprefix("mlflow-artifacts:/")


def test_upload_download_list_and_delete(http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    assert http.put(f"{PROXY}/{root}/model/weights.bin", content=b"\x00\x01weights").json() == {}
    assert http.put(f"{PROXY}/{root}/notes.txt", content=b"hello").status_code == 200

    listing = http.get(PROXY, params={"path": root}).json()["files"]
    assert listing == [
        {"path": "model", "is_dir": True},
        {"path": "notes.txt", "is_dir": False, "file_size": 5},
    ]
    inner = http.get(PROXY, params={"path": f"{root}/model"}).json()["files"]
    assert inner == [{"path": "weights.bin", "is_dir": False, "file_size": 9}]

    download = http.get(f"{PROXY}/{root}/model/weights.bin")
    assert download.status_code == 200 and download.content == b"\x00\x01weights"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "application/octet-stream"

    assert http.delete(f"{PROXY}/{root}/notes.txt").json() == {}
    error_of(http.get(f"{PROXY}/{root}/notes.txt"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_uploaded_html_is_served_as_an_inert_attachment(http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    http.put(f"{PROXY}/{root}/page.html", content=b"<script>alert(1)</script>", headers={"content-type": "text/html"})
    response = http.get(f"{PROXY}/{root}/page.html")
    assert response.headers["content-type"] == "application/octet-stream"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_missing_artifact_is_404_and_missing_listing_is_empty(http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    error_of(http.get(f"{PROXY}/{root}/model"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.delete(f"{PROXY}/{root}/nothing"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert http.get(PROXY, params={"path": f"{root}/nothing"}).json() == {}


def test_downloading_a_directory_is_404(http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    http.put(f"{PROXY}/{root}/dir/file", content=b"x")
    error_of(http.get(f"{PROXY}/{root}/dir"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_uploading_over_a_directory_is_refused(http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    http.put(f"{PROXY}/{root}/dir/file", content=b"x")
    error_of(http.put(f"{PROXY}/{root}/dir", content=b"y" * (3 << 20)), 400, "INVALID_PARAMETER_VALUE")
    assert http.get(f"{PROXY}/{root}/dir/file").content == b"x"


def test_a_multi_megabyte_upload_streams_and_round_trips(http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length, larger than the JSON limit
        for i in range(24):
            piece = block[i:] + block[:i]
            digest.update(piece)
            yield piece

    assert http.put(f"{PROXY}/{root}/big.bin", content=chunks()).status_code == 200
    received = hashlib.sha256()
    with http.stream("GET", f"{PROXY}/{root}/big.bin") as response:
        assert response.headers["content-length"] == str(24 << 20)
        for piece in response.iter_bytes():
            received.update(piece)
    assert received.hexdigest() == digest.hexdigest()


def test_run_artifact_listing_is_relative_to_the_run(http: httpx.Client, new_run: NewRun) -> None:
    run = new_run()
    root = root_of(run)
    http.put(f"{PROXY}/{root}/a/b.txt", content=b"bb")
    http.put(f"{PROXY}/{root}/c.txt", content=b"c")
    top = http.get(f"{API}/artifacts/list", params={"run_id": run["run_id"]}).json()
    assert top["root_uri"] == run["artifact_uri"]
    assert top["files"] == [{"path": "a", "is_dir": True}, {"path": "c.txt", "is_dir": False, "file_size": 1}]
    inner = http.get(f"{API}/artifacts/list", params={"run_id": run["run_id"], "path": "a"}).json()
    assert inner["files"] == [{"path": "a/b.txt", "is_dir": False, "file_size": 2}]


def test_run_artifact_listing_errors(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    error_of(http.get(f"{API}/artifacts/list", params={"run_id": "f" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.get(f"{API}/artifacts/list"), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "../x"}), 400, "INVALID_PARAMETER_VALUE")


# Raw request paths after the proxy prefix; ROOT is a run's artifact root. Each is sent byte for
# byte (httpx would otherwise resolve dots and escapes itself).
TRAVERSALS = [
    "ROOT/../../../escape.txt",
    "ROOT/%2e%2e/%2e%2e/%2e%2e/escape.txt",
    "ROOT/%2E%2E%2F%2E%2E%2Fescape.txt",
    "ROOT/%252e%252e/%252e%252e/escape.txt",
    "ROOT/..%5c..%5cescape.txt",
    "ROOT/a%5C..%5C..%5Cescape.txt",
    "/tmp/escape.txt",
    "%2Ftmp%2Fescape.txt",
    "C:/escape.txt",
    "ROOT/a/%00/escape.txt",
]


def raw_request(base_url: str, method: str, raw_path: str, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Send ``raw_path`` byte for byte over a socket: httpx would resolve '..' segments itself."""
    url = httpx.URL(base_url)
    request = (
        f"{method} {raw_path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii") + body
    with socket.create_connection((url.host, url.port), timeout=30) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, payload = received.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(payload)


@pytest.mark.parametrize("attack", TRAVERSALS)
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_paths_escaping_the_store_are_refused(http: httpx.Client, server: Any, new_run: NewRun,
                                              attack: str, method: str) -> None:
    root = root_of(new_run())
    raw = f"{PROXY}/{attack.replace('ROOT', root)}"
    status, body = raw_request(server.url, method, raw, b"pwned" if method == "PUT" else b"")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
    assert "escape.txt" not in {p.name for p in server.root.parent.rglob("*")}
    assert not os.path.exists("/tmp/escape.txt")
    assert http.get("/health").text == "OK"


@pytest.mark.parametrize("attack", ["../..", "%2e%2e", "%252e%252e", "..\\..", "/etc", "a/\x00"])
def test_listing_paths_escaping_the_store_are_refused(http: httpx.Client, attack: str) -> None:
    error_of(http.get(PROXY, params={"path": attack}), 400, "INVALID_PARAMETER_VALUE")


def test_upload_to_an_empty_path_is_refused(http: httpx.Client) -> None:
    response = http.put(f"{PROXY}/", content=b"x")
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_an_upload_over_the_artifact_limit_is_413_and_stores_nothing(server_factory: Callable[..., Any]) -> None:
    limited = server_factory("--max-artifact-bytes", str(1 << 20))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit trips while streaming
        for _ in range(3):
            yield b"x" * (1 << 20)

    with httpx.Client(base_url=limited.url) as client:
        error_of(client.put(f"{PROXY}/0/r/artifacts/big.bin", content=chunks()), 413, "INVALID_PARAMETER_VALUE")
        error_of(client.put(f"{PROXY}/0/r/artifacts/big.bin", content=b"x" * (2 << 20)), 413, "INVALID_PARAMETER_VALUE")
        assert client.get(PROXY, params={"path": "0/r/artifacts"}).json() == {}
        assert client.put(f"{PROXY}/0/r/artifacts/small.bin", content=b"ok").status_code == 200
    stored = stored_files(limited.artifacts_uri)  # the folder, or the bucket with CAIRN_TEST_ARTIFACTS=s3
    assert [name for name in stored if name.startswith("tmp/")] == []
    assert [size for name, size in stored.items() if name.startswith("blobs/")] == [2]


def test_an_upload_cut_off_by_the_client_stores_nothing(server: Any, http: httpx.Client, new_run: NewRun) -> None:
    root = root_of(new_run())
    url = httpx.URL(server.url)
    head = (f"PUT {PROXY}/{root}/cut.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: {10 << 20}\r\n\r\n").encode()
    with socket.create_connection((url.host, url.port)) as sock:
        sock.sendall(head + b"x" * (3 << 20))
    # The next request on a fresh connection is served after the server saw the hang-up.
    error_of(http.get(f"{PROXY}/{root}/cut.bin"), 404, "RESOURCE_DOES_NOT_EXIST")
