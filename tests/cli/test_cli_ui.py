"""``cairn ui`` serves the web UI over the embedded ``./.cairn`` store and prints its URL."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cairn.client import fluent, tracking_uri

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.sqlite_only(reason="`cairn ui` opens the embedded store folder (./.cairn), a SQLite file")
def test_cairn_ui_prints_the_url_of_the_embedded_stores_experiments(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    fluent.set_tracking_uri(tmp_path / ".cairn")
    try:
        fluent.set_experiment("local-experiments")
        with fluent.start_run():
            fluent.log_metric("loss", 0.5)
    finally:
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "cairn.cli", "ui", "--port", str(port)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url and url.group() == f"http://127.0.0.1:{port}/", line
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(url.group(), timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "cairn ui did not answer"
                time.sleep(0.05)  # polling for readiness, not ordering test steps
        assert page.status_code == 200
        assert "local-experiments" in page.text
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()
