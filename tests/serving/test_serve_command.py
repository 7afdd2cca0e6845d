"""`cairn serve` as a real subprocess on a free 127.0.0.1 port, over the embedded store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cairn.serving.app import VERSION_HEADER

STARTUP_TIMEOUT_S = 60
ROWS = [[30.0, 2], [50.0, 8]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(tracking_uri: str | Path, name: str, log_dir: Path, *options: str) -> Iterator[str]:
    """Run `cairn serve NAME` over ``tracking_uri`` (a store folder or a server URL) until the
    generator is closed; yields its URL. The log must hold no traceback when it stops."""
    port = _free_port()
    log_path = log_dir / f"serve-{port}.log"
    env = {**os.environ, "CAIRN_TRACKING_URI": str(tracking_uri)}
    command = [sys.executable, "-m", "cairn.cli", "serve", name, "--port", str(port), *options]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(url + "/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)  # polling for readiness, not ordering test steps
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log_path.read_text()


@pytest.fixture(scope="module")
def served(churn_store: Path) -> Iterator[str]:
    """One `cairn serve` process for the module: starting it costs seconds."""
    yield from start_serve(churn_store, "churn", churn_store.parent, "--stage", "Production")


def test_serve_answers_all_four_scoring_formats_with_version_and_prediction_ids(served: str) -> None:
    bodies = [
        {"dataframe_split": {"columns": ["age", "visits"], "data": ROWS}},
        {"dataframe_records": [{"age": a, "visits": v} for a, v in ROWS]},
        {"instances": [{"age": a, "visits": v} for a, v in ROWS]},
        {"instances": ROWS},
        {"inputs": {"age": [a for a, _ in ROWS], "visits": [v for _, v in ROWS]}},
    ]
    answers = []
    for body in bodies:
        response = httpx.post(served + "/invocations", json=body, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers[VERSION_HEADER] == "1"
        document = response.json()
        assert document["model_version"] == "1" and len(document["prediction_ids"]) == 2
        answers.append(document["predictions"])
    assert all(answer == answers[0] for answer in answers)


def test_serve_metadata_and_version_name_the_served_version(served: str) -> None:
    metadata = httpx.get(served + "/metadata", timeout=10).json()
    assert metadata["model_name"] == "churn" and metadata["model_version"] == "1"
    assert metadata["arms"] == [{"arm": "primary", "version": "1", "run_id": metadata["arms"][0]["run_id"],
                                 "share": 1.0}]
    assert httpx.get(served + "/version", timeout=10).json()["model_version"] == "1"


def test_serve_refuses_a_signature_violation_with_400(served: str) -> None:
    response = httpx.post(served + "/invocations", json={"instances": [{"age": 30.0}]}, timeout=10)
    assert response.status_code == 400 and "missing column 'visits'" in response.json()["message"]


def test_serve_refuses_a_foreign_host_name_and_cross_origin_posts(served: str) -> None:
    body = {"dataframe_split": {"columns": ["age", "visits"], "data": ROWS}}
    rebound = httpx.post(served + "/invocations", json=body, headers={"Host": "attacker.example"}, timeout=10)
    assert rebound.status_code == 403 and "attacker.example" in rebound.json()["message"]
    forged = httpx.post(served + "/invocations", json=body, headers={"Origin": "http://attacker.example"}, timeout=10)
    assert forged.status_code == 403 and "Cross-origin" in forged.json()["message"]
    assert httpx.post(served + "/invocations", json=body, headers={"Host": "localhost"}, timeout=10).status_code == 200
