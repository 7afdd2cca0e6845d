"""``--from postgresql://...``: an MLflow store kept in PostgreSQL (a throwaway cluster started
from Debian's binaries, as ../shared/TEST_SERVERS.md describes), written by mlflow's own SQL store,
is imported with its histories, NaN, files and registry."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.client import tracking_uri
from cairn.client.client import Client

pytestmark = [
    pytest.mark.slow,
    pytest.mark.store_independent(
        runs_in="postgresql",
        reason="the source is a PostgreSQL cluster of its own and the target a folder store (SQLite), "
        "whatever CAIRN_TEST_STORE says",
    ),
]

POSTGRES_STARTUP_S = 60
FILL_TIMEOUT_S = 240


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    import pwd

    psycopg = pytest.importorskip("psycopg")
    binaries = _postgres_bin()
    if binaries is None or os.geteuid() != 0:
        pytest.skip("needs Debian's PostgreSQL binaries and root (to run them as the postgres user)")
    owner = pwd.getpwnam("postgres")
    # Every parent must be traversable by postgres: pytest's own temp root is 0700.
    folder = Path(tempfile.mkdtemp(prefix="cairn-pg-", dir="/tmp"))
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    as_postgres: dict[str, Any] = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    subprocess.run([str(binaries / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E",
                    "UTF8", "--no-sync"], check=True, capture_output=True, **as_postgres)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (folder / "postgres.log").open("wb") as log:
        server = subprocess.Popen([str(binaries / "postgres"), "-D", str(folder / "data"), "-p", str(port), "-k",
                                   str(folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                                  stdout=log, stderr=subprocess.STDOUT, **as_postgres)
    try:
        deadline = time.monotonic() + POSTGRES_STARTUP_S
        while True:
            assert server.poll() is None, (folder / "postgres.log").read_text()
            try:
                psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres").close()
                break
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, (folder / "postgres.log").read_text()
                time.sleep(0.1)  # polling for readiness, not ordering test steps
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


FILL = """
import math, sys
from mlflow import MlflowClient
from mlflow.entities import Metric
url, files = sys.argv[1], sys.argv[2]
client = MlflowClient(url)
experiment = client.create_experiment("pg-churn", artifact_location=files, tags={"team": "growth"})
ids = []
for i in range(2):
    run = client.create_run(experiment, run_name=f"fit-{i}", tags={"owner": "ana"})
    client.log_batch(run.info.run_id, metrics=[Metric("loss", 1.0 / (s + 1), 1000 + s, s) for s in range(50)])
    client.log_metric(run.info.run_id, "accuracy", math.nan if i else 0.75)
    client.log_param(run.info.run_id, "lr", str(0.1 * (i + 1)))
    client.log_text(run.info.run_id, f"fit {i}", "notes.txt")
    client.set_terminated(run.info.run_id)
    ids.append(run.info.run_id)
client.create_registered_model("pg-model", description="from postgres")
for run_id in ids:
    client.create_model_version("pg-model", f"{files}/{run_id}/artifacts", run_id=run_id)
client.transition_model_version_stage("pg-model", "2", "Production")
client.set_registered_model_alias("pg-model", "champion", "2")
print(" ".join(ids))
"""


def test_an_mlflow_store_in_postgresql_is_imported(
    tmp_path: Path, postgres_url: str, cairn_cli: Callable[..., Any],
    import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    files = tmp_path / "mlruns"
    filled = subprocess.run([sys.executable, "-c", FILL, postgres_url.replace("postgresql://", "postgresql+psycopg://"),
                             str(files)], capture_output=True, text=True, timeout=FILL_TIMEOUT_S,
                            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}, check=False)
    assert filled.returncode == 0, filled.stderr[-3000:]
    run_ids = filled.stdout.split()
    store = tmp_path / "cairn"
    done = cairn_cli("--tracking-uri", str(store), "import", "mlflow", "--from", postgres_url, "--json")
    assert done.returncode == 0, done.stderr
    counted = import_counts(json.loads(done.stdout))
    assert (counted["runs"], counted["artifacts"], counted["model versions"], counted["aliases"]) == (
        (2, 0, 0), (2, 0, 0), (2, 0, 0), (1, 0, 0))

    client = Client(tracking_uri=str(store))
    try:
        first, second = (client.get_run(run_id) for run_id in run_ids)
        history = [(m.step, m.value) for m in client.get_metric_history(run_ids[0], "loss")]
        production = client.get_model_version_by_alias("pg-model", "champion")
        notes = client.download_artifacts(run_ids[1], "notes.txt", tmp_path / "check").read_text()
    finally:
        tracking_uri.close_all()
    assert (first.info.run_name, first.data.params, first.data.tags["owner"]) == ("fit-0", {"lr": "0.1"}, "ana")
    assert history == [(s, 1.0 / (s + 1)) for s in range(50)]
    assert first.data.metrics["accuracy"].value == 0.75 and math.isnan(second.data.metrics["accuracy"].value)
    assert (production.version, production.current_stage, production.run_id) == (2, "Production", run_ids[1])
    assert production.source.startswith("mlflow-artifacts:/")  # the local path, pointed at the copied files
    assert notes == "fit 1"
