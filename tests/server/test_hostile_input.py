"""Hostile input: every class is refused with a 4xx JSON error, writes nothing, leaks nothing,
and the server keeps serving."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
BODY_LIMIT = 1024 * 1024  # the session server's --max-body-bytes (conftest.TEST_BODY_LIMIT)
NewRun = Callable[..., dict[str, Any]]
LEAKS = ("Traceback", "sqlite", "sqlalchemy", "/tmp", "File \"", "SELECT", "INSERT")


@pytest.fixture(autouse=True)
def still_serving(http: httpx.Client) -> Iterator[None]:
    yield
    assert http.get("/health").text == "OK"


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    message = str(body["message"])
    assert not any(leak in message for leak in LEAKS), message
    return message


def metric_count(http: httpx.Client, run_id: str) -> int:
    run = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    return len(run["data"].get("metrics", []))


def test_body_over_the_limit_is_413_from_content_length(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    padding = "x" * BODY_LIMIT
    body = json.dumps({"run_id": run_id, "key": "m", "value": 1, "timestamp": 1, "pad": padding}).encode()
    message = error_of(http.post(f"{API}/runs/log-metric", content=body), 413, "INVALID_PARAMETER_VALUE")
    assert str(BODY_LIMIT) in message
    assert metric_count(http, run_id) == 0


def test_chunked_body_over_the_limit_is_413_while_streaming(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    sent = []

    def chunks() -> Iterator[bytes]:
        yield json.dumps({"run_id": run_id, "key": "m", "value": 1, "timestamp": 1})[:-1].encode()
        yield b', "pad": "'
        for _ in range(4):
            sent.append(1)
            yield b"x" * (BODY_LIMIT // 2)
        yield b'"}'

    error_of(http.post(f"{API}/runs/log-metric", content=chunks()), 413, "INVALID_PARAMETER_VALUE")
    assert metric_count(http, run_id) == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[1, 2, 3]", "JSON object"),
        (b'"just a string"', "JSON object"),
        (b"{not json", "not valid JSON"),
        (b'{"name": "\xff\xfe"}', "UTF-8"),
        (b"{" + b'"a":' * 0 + b'"a": ' + b"[" * 40 + b"]" * 40 + b"}", "nested too deeply"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"name": "\\ud800"}', "surrogate"),
    ],
)
def test_malformed_json_is_400_bad_request(http: httpx.Client, body: bytes, fragment: str) -> None:
    message = error_of(http.post(f"{API}/experiments/create", content=body), 400, "BAD_REQUEST")
    assert fragment in message


@pytest.mark.parametrize(
    "value",
    [[1], {"v": 1}, "abc", True, None],
)
def test_wrong_value_types_are_never_coerced(http: httpx.Client, new_run: NewRun, value: Any) -> None:
    run_id = new_run()["run_id"]
    body = {"run_id": run_id, "key": "m", "value": value, "timestamp": 1}
    error_of(http.post(f"{API}/runs/log-metric", json=body), 400, "INVALID_PARAMETER_VALUE")
    assert metric_count(http, run_id) == 0


@pytest.mark.parametrize("number", [b"9223372036854775808", b"-9223372036854775809", b"1" * 40, b"1e300"])
def test_integers_outside_int64_are_refused(http: httpx.Client, new_run: NewRun, number: bytes) -> None:
    run_id = new_run()["run_id"]
    body = b'{"run_id": "%s", "key": "m", "value": 1, "timestamp": 1, "step": %s}' % (run_id.encode(), number)
    message = error_of(http.post(f"{API}/runs/log-metric", content=body), 400, "INVALID_PARAMETER_VALUE")
    assert "'step'" in message or "range" in message
    assert metric_count(http, run_id) == 0


def test_nan_literal_in_a_request_is_read_as_nan(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    body = b'{"run_id": "%s", "key": "m", "value": NaN, "timestamp": 1}' % run_id.encode()
    assert http.post(f"{API}/runs/log-metric", content=body).status_code == 200
    assert metric_count(http, run_id) == 1


def test_bogus_page_tokens_are_400(http: httpx.Client) -> None:
    for token in ["bogus", "eyJrIjoicnVucyIsIm8iOi0xfQ==", "!!!", "x" * 5000]:
        body = {"experiment_ids": ["0"], "page_token": token}
        error_of(http.post(f"{API}/runs/search", json=body), 400, "INVALID_PARAMETER_VALUE")


def test_unknown_endpoint_is_404_json(http: httpx.Client) -> None:
    error_of(http.get(f"{API}/runs/explode"), 404, "ENDPOINT_NOT_FOUND")
    error_of(http.get("/no-such-page"), 404, "ENDPOINT_NOT_FOUND")  # "/" is the web UI
    error_of(http.get(f"{API}/runs/get/"), 404, "ENDPOINT_NOT_FOUND")


def test_wrong_method_is_405_json(http: httpx.Client) -> None:
    response = http.get(f"{API}/runs/log-batch")
    error_of(response, 405, "BAD_REQUEST")
    assert "POST" in response.headers["allow"]
    error_of(http.post("/api/2.0/mlflow-artifacts/artifacts/a/b"), 405, "BAD_REQUEST")


def test_foreign_host_header_is_refused(server: Any) -> None:
    with httpx.Client(base_url=server.url) as client:
        response = client.get("/health", headers={"host": "evil.example.com"})
        error_of(response, 403, "PERMISSION_DENIED")
        assert client.get("/health", headers={"host": "localhost:5000"}).status_code == 200
        assert client.get("/health", headers={"host": "10.1.2.3:5000"}).status_code == 200
        assert client.get("/health", headers={"host": "[::1]:5000"}).status_code == 200


def test_cross_origin_state_changes_are_refused(http: httpx.Client, server: Any) -> None:
    name = "origin-check"
    evil = http.post(f"{API}/experiments/create", json={"name": name}, headers={"origin": "http://evil.example.com"})
    error_of(evil, 403, "PERMISSION_DENIED")
    assert http.get(f"{API}/experiments/get-by-name", params={"experiment_name": name}).status_code == 404
    same = http.post(f"{API}/experiments/create", json={"name": name}, headers={"origin": server.url})
    assert same.status_code == 200
    read = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": name},
                    headers={"origin": "http://evil.example.com"})
    assert read.status_code == 200  # reads need CORS headers to be useful cross-origin; none are sent


def test_slowloris_style_partial_request_does_not_block_others(server: Any, http: httpx.Client) -> None:
    url = httpx.URL(server.url)
    with socket.create_connection((url.host, url.port)) as idle:
        idle.sendall(b"POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
        assert http.get("/health").text == "OK"


def test_allowed_hosts_and_origins_are_configurable(server_factory: Callable[..., Any]) -> None:
    configured = server_factory("--allowed-hosts", "ml.example.com", "--allowed-origins", "https://ui.example.com")
    with httpx.Client(base_url=configured.url) as client:
        assert client.get("/health", headers={"host": "ml.example.com:443"}).status_code == 200
        error_of(client.get("/health", headers={"host": "other.example.com"}), 403, "PERMISSION_DENIED")
        body = {"name": "from-the-ui"}
        allowed = client.post(f"{API}/experiments/create", json=body, headers={"origin": "https://ui.example.com"})
        assert allowed.status_code == 200
        refused = client.post(f"{API}/experiments/create", json=body, headers={"origin": "https://ui.example.org"})
        error_of(refused, 403, "PERMISSION_DENIED")
