"""Many training processes opening the same brand-new store at once (a sweep launching its workers
on a fresh ``./.cairn``, or on an empty PostgreSQL database) must create and migrate it once, and
all go on logging."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cairn.client.tracking_uri import ENV_ARTIFACTS_ROOT
from cairn.store import migrations
from tests import backends

pytestmark = pytest.mark.slow

PROCESSES = 8
STEPS = 5
# Imports take a second or more per process on a busy machine; all must be waiting at the gate
# before it opens, or they would not really race.
IMPORT_TIMEOUT_S = 120
RUN_TIMEOUT_S = 120

# Each worker imports cairn first (slow, uneven), then waits for the gate file so that all of them
# open the store in the same instant.
WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    import cairn

    Path(sys.argv[3]).touch()
    gate = Path(sys.argv[2])
    while not gate.exists():
        time.sleep(0.001)
    cairn.set_tracking_uri(sys.argv[1])
    cairn.set_experiment("sweep")  # every worker creates it if missing, at the same moment
    worker = int(sys.argv[4])
    with cairn.start_run(run_name=f"worker-{worker}"):
        cairn.log_params({"worker": worker, "lr": 0.01})
        for step in range({steps}):
            cairn.log_metric("loss", 1.0 / (step + 1), step=step)
    """
).replace("{steps}", str(STEPS))


def _start_workers(tmp_path: Path, store: str, gate: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "CAIRN_CAPTURE": "none", ENV_ARTIFACTS_ROOT: str(tmp_path / "artifacts")}
    env.pop("CAIRN_TRACKING_URI", None)
    return [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(store), str(gate), str(tmp_path / f"ready-{i}"), str(i)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for i in range(PROCESSES)
    ]


def _wait_until_all_ready(tmp_path: Path, workers: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    while sum((tmp_path / f"ready-{i}").exists() for i in range(PROCESSES)) < PROCESSES:
        assert all(w.poll() is None for w in workers), "a worker exited before the gate opened"
        assert time.monotonic() < deadline, "workers did not finish importing cairn in time"
        time.sleep(0.01)


def test_processes_opening_a_fresh_store_at_once_all_log_their_runs(tmp_path):
    store, _ = backends.new_store(tmp_path, migrated=False)
    gate = tmp_path / "gate"
    workers = _start_workers(tmp_path, store, gate)
    try:
        _wait_until_all_ready(tmp_path, workers)
        gate.touch()
        results = [(w.wait(timeout=RUN_TIMEOUT_S), w.stderr.read().decode()) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
            w.stdout.close()
            w.stderr.close()

    failures = [err for code, err in results if code != 0]
    assert failures == [], failures[0]
    engine = create_engine(store)
    try:
        with engine.connect() as conn:
            run_names = sorted(conn.scalars(text(
                "SELECT runs.name FROM runs JOIN experiments USING (experiment_id) "
                "WHERE status = 'FINISHED' AND experiments.name = 'sweep'")))
            points = conn.scalar(
                text("SELECT count(*) FROM metrics JOIN latest_metrics USING (series_id) WHERE key = 'loss'"))
            params = conn.scalar(text("SELECT count(*) FROM params WHERE key = 'worker'"))
            versions = list(conn.scalars(text("SELECT version_num FROM alembic_version")))
            experiments = sorted(conn.scalars(text("SELECT name FROM experiments")))
    finally:
        engine.dispose()
        backends.drop_store(store)
    assert run_names == sorted(f"worker-{i}" for i in range(PROCESSES))
    assert points == PROCESSES * STEPS
    assert params == PROCESSES
    assert versions == [migrations.HEAD]
    assert experiments == ["Default", "sweep"]
