"""An import that stops half-way through a run finishes it the next time, without duplicating
anything: once because one of the run's files could not be read (a link pointing nowhere, a
real failing input), once because the import process was killed."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cairn.client import tracking_uri
from cairn.client.client import Client

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
]

KILL_TIMEOUT_S = 120


def _history(client: Client, run_id: str, key: str) -> list[tuple[int, int, float]]:
    return [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key)]


def test_a_run_whose_file_could_not_be_read_is_completed_by_the_next_import(
    tmp_path: Path, mlflow_store: Any, cairn_cli: Callable[..., Any],
    import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    source = mlflow_store.copy_to(tmp_path / "mlflow")
    folder = next(p for p in sorted(source.artifacts.glob("1/*/artifacts")) if (p / "notes.txt").exists())
    run_id = folder.parent.name
    notes = folder / "notes.txt"
    saved = notes.read_bytes()
    notes.unlink()
    notes.symlink_to(tmp_path / "nowhere")
    store = tmp_path / "cairn"
    command = ("--tracking-uri", str(store), "import", "mlflow", "--from", source.db_uri,
               "--artifacts", str(source.artifacts), "--json")

    first = cairn_cli(*command)
    assert first.returncode == 1, first.stderr
    summary = json.loads(first.stdout)
    assert import_counts(summary)["runs"] == (5, 0, 1)
    (failure,) = [f for f in summary["failures"] if f["kind"] == "runs"]
    assert failure["what"] == run_id and "notes.txt" in failure["reason"]
    assert "could not be copied" in first.stderr and "Traceback" not in first.stderr
    client = Client(tracking_uri=str(store))
    try:
        # Half written: the run and its history are there, its files are not.
        assert _history(client, run_id, "loss")
        assert not any(f.path == "notes.txt" for f in client.list_artifacts(run_id))
    finally:
        tracking_uri.close_all()

    notes.unlink()
    notes.write_bytes(saved)
    second = cairn_cli(*command)
    assert second.returncode == 0, second.stderr
    counted = import_counts(json.loads(second.stdout))
    assert counted["runs"] == (1, 5, 0) and counted["artifacts"] == (2, 0, 0)

    client = Client(tracking_uri=str(store))
    try:
        expected = [(step, ts, value) for step, ts, value in _mlflow_history(source, run_id, "loss")]
        assert _history(client, run_id, "loss") == expected  # whole, and each point once
        downloaded = client.download_artifacts(run_id, "notes.txt", tmp_path / "check")
        assert Path(downloaded).read_bytes() == saved
    finally:
        tracking_uri.close_all()


def _mlflow_history(source: Any, run_id: str, key: str) -> list[tuple[int, int, float]]:
    with sqlite3.connect(source.root / "mlflow.db") as conn:
        return [tuple(row) for row in conn.execute(  # type: ignore[misc]
            "SELECT step, timestamp, value FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp",
            (run_id, key))]


SWEEP_RUNS, POINTS = 40, 3000


@pytest.fixture
def many_runs(tmp_path: Path, mlflow_store: Any) -> Any:
    """A copy of the session's MLflow store plus an experiment of 40 runs with 3000-point
    histories and a file each (in a local folder, as MLflow's default set-up keeps them),
    written straight into MLflow's own tables: mlflow's client would take minutes to log them."""
    source = mlflow_store.copy_to(tmp_path / "mlflow")
    files = tmp_path / "files"
    with sqlite3.connect(source.root / "mlflow.db") as conn:
        conn.execute("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                     "last_update_time) VALUES (10, 'sweep', ?, 'active', 1, 1)", (str(files),))
        for i in range(SWEEP_RUNS):
            run_id = f"{i:032x}"
            (files / run_id / "artifacts").mkdir(parents=True)
            (files / run_id / "artifacts" / "notes.txt").write_text(f"trial {i}\n" * 100)
            conn.execute("INSERT INTO runs (run_uuid, name, source_type, user_id, status, start_time, end_time, "
                         "lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', 'ana', 'FINISHED', "
                         "?, ?, 'active', ?, 10)",
                         (run_id, f"trial-{i}", 1000 + i, 2000 + i, str(files / run_id / "artifacts")))
            conn.execute("INSERT INTO tags (key, value, run_uuid) VALUES ('mlflow.runName', ?, ?)",
                         (f"trial-{i}", run_id))
            conn.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES "
                             "('loss', ?, ?, ?, ?, 0)", [(1.0 / (s + 1), 5000 + s, run_id, s) for s in range(POINTS)])
            conn.execute("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES "
                         "('loss', ?, ?, ?, 0, ?)", (1.0 / POINTS, 5000 + POINTS - 1, POINTS - 1, run_id))
    return source


def test_a_killed_import_finishes_on_the_next_run(
    tmp_path: Path, many_runs: Any, cairn_cli: Callable[..., Any],
    import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    store = tmp_path / "cairn"
    command = ["--tracking-uri", str(store), "import", "mlflow", "--from", many_runs.db_uri,
               "--artifacts", str(many_runs.artifacts)]
    total = SWEEP_RUNS + 6
    process = subprocess.Popen([sys.executable, "-m", "cairn.cli", *command], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        complete = _wait_for_complete_runs(store / "cairn.db", process, at_least=6 + 3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert 6 + 3 <= complete < total, "the import was not stopped half-way"

    again = cairn_cli(*command, "--json")
    assert again.returncode == 0, again.stderr
    copied, present, failed = import_counts(json.loads(again.stdout))["runs"]
    assert failed == 0 and present >= complete and copied + present == total
    client = Client(tracking_uri=str(store))
    try:
        experiment = client.get_experiment_by_name("sweep")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id], max_results=100).items
        assert len(runs) == SWEEP_RUNS
        for run in runs:
            history = client.get_metric_history(run.run_id, "loss")
            assert [m.step for m in history] == list(range(POINTS)), run.run_id
            assert [f.path for f in client.list_artifacts(run.run_id)] == ["notes.txt"]
    finally:
        tracking_uri.close_all()


def _wait_for_complete_runs(db: Path, process: subprocess.Popen[bytes], at_least: int) -> int:
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it could be interrupted"
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                    found = conn.execute(
                        "SELECT count(*) FROM import_marks WHERE kind = 'run' AND state = 'complete'").fetchone()[0]
            except sqlite3.OperationalError:
                found = 0  # the store is still being created
            if found >= at_least:
                return int(found)
        time.sleep(0.01)  # polling the store, not ordering test steps
    raise AssertionError("the import made no progress")
