"""`make scale-demo` as a user runs it, with ``--no-wait``: PostgreSQL, SeaweedFS and
``cairn server --workers 2`` start from the project's own files, the demo runs against the server
(its runs land in PostgreSQL, its artifacts in the bucket), and everything is stopped afterwards.

It needs PostgreSQL's server binaries whichever store the suite runs on, like the other tests here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cairn.demo.training import GRID

pytestmark = [
    pytest.mark.slow, pytest.mark.timeout(1200),
    pytest.mark.store_independent(
        runs_in="postgresql",
        reason="scripts/scale_demo.py starts its own PostgreSQL, SeaweedFS and server whatever CAIRN_TEST_STORE says",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT_S = 1100


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_the_scale_demo_runs_the_demo_on_postgresql_s3_and_two_workers_then_stops_everything() -> (
    None
):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAIRN_"))}
    done = subprocess.run(
        [sys.executable, "scripts/scale_demo.py", "--no-wait"], cwd=ROOT, env=env, check=False,
        capture_output=True, text=True, timeout=DEMO_TIMEOUT_S,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    found = re.search(
        r"The demo ran against http://127\.0\.0\.1:(\d+) \(2 workers\): (\d+) runs in PostgreSQL, "
        r"(\d+) objects in s3://cairn-demo/artifacts",
        out,
    )
    assert found, out
    port, runs, objects = (int(g) for g in found.groups())
    assert runs >= len(GRID)  # the training grid, plus what the later steps log
    assert (
        objects > 0
    )  # models, datasets and plots went to the bucket, not to a local folder
    store = re.search(r"store: postgresql\+psycopg://postgres@127\.0\.0\.1:(\d+)/", out)
    assert store, out
    assert not _answers(port), "cairn server still answers after the demo"
    assert not _answers(int(store.group(1))), "PostgreSQL still answers after the demo"
    assert "Traceback" not in out, out
