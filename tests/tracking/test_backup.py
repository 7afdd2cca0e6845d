"""Backup and restore: a backup taken while another process keeps logging runs is one point in
time once restored (each run has all or none of the metrics logged with it in one batch, every
artifact of a run that finished logging is there, every file reads back verified, the counts are
the manifest's), a server serves the restored store, and what cannot be restored is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import cairn
from cairn import cli
from cairn.artifacts.inventory import walk_files
from cairn.artifacts.local import LocalArtifactStore
from cairn.client import tracking_uri
from cairn.client.backups import backup_store, restore_store
from cairn.errors import Conflict, InvalidParameter
from cairn.store import migrations
from cairn.store.database import open_database
from cairn.store.snapshots import table_counts

KEYS = [f"m{i}" for i in range(10)]
STEPS = 5
WRITER = textwrap.dedent("""
    import sys, pathlib
    import cairn
    from cairn.entities import Metric, RunTag
    folder, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    KEYS, STEPS = sys.argv[3].split(","), int(sys.argv[4])
    client = cairn.Client(folder)
    experiment_id = client.create_experiment("busy")
    count = 0
    while not stop.exists():
        run = client.create_run(experiment_id, run_name=f"run-{count}")
        client.log_text(run.run_id, f"payload of run {count}\\n" * 200, "data/payload.txt")
        points = [Metric(key, float(step), 1_700_000_000_000 + step, step) for key in KEYS for step in range(STEPS)]
        client.log_batch(run.run_id, metrics=points, tags=[RunTag("complete", "yes")])
        client.set_terminated(run.run_id)
        count += 1
    client.close()
    print(count)
""")


@pytest.fixture(autouse=True)
def _fresh_backends(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    yield
    tracking_uri.close_all()


def _runs(folder: Path) -> int:
    db = open_database(f"sqlite:///{folder / 'cairn.db'}")
    try:
        with db.read() as conn:
            return table_counts(conn)["runs"]
    finally:
        db.close()


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling another process, not ordering test steps


@pytest.fixture
def busy_backup(tmp_path: Path) -> Iterator[tuple[Path, Path, Any]]:
    """A store another process writes to all along, and a backup of it taken meanwhile."""
    live, stop = tmp_path / "live", tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live), str(stop), ",".join(KEYS), str(STEPS)],
                              stdout=subprocess.PIPE, text=True)
    try:
        # The writer finishes a run before it creates the next: with six runs, five are complete.
        _wait_for(lambda: (live / "cairn.db").exists() and _runs(live) >= 6, "the writer's first five runs")
        manifest = backup_store(tmp_path / "backup", tracking_uri=str(live), cairn_version="test")
        seen = manifest.counts["runs"]
        _wait_for(lambda: _runs(live) > seen + 3, "writes after the backup")
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0 and int(out) > manifest.counts["runs"]
    yield live, tmp_path / "backup", manifest


def test_a_backup_taken_while_a_process_writes_restores_one_point_in_time(tmp_path, busy_backup):
    _, backup, manifest = busy_backup
    restored = tmp_path / "restored"
    assert restore_store(backup, tracking_uri=str(restored)) == manifest
    tracking_uri.close_all()
    db = open_database(f"sqlite:///{restored / 'cairn.db'}")
    artifacts = LocalArtifactStore(restored / "artifacts")
    try:
        with db.read() as conn:
            assert table_counts(conn) == manifest.counts
            runs = conn.exec_driver_sql(
                "SELECT r.run_id, r.artifact_uri, (SELECT COUNT(*) FROM tags t WHERE t.run_id = r.run_id "
                "AND t.key = 'complete'), (SELECT COUNT(*) FROM latest_metrics l WHERE l.run_id = r.run_id), "
                "(SELECT COUNT(*) FROM metrics m JOIN latest_metrics l ON m.series_id = l.series_id "
                "WHERE l.run_id = r.run_id) FROM runs r").all()
        complete = 0
        for run_id, uri, tagged, series, points in runs:
            assert (tagged, series, points) in {(0, 0, 0), (1, len(KEYS), len(KEYS) * STEPS)}, run_id
            if tagged:  # its artifact was written before its batch, so the backup has it
                complete += 1
                payload = b"".join(artifacts.iter_bytes(f"{uri.removeprefix('mlflow-artifacts:/')}/data/payload.txt"))
                assert payload.startswith(b"payload of run")
        assert complete >= 5
        files = list(walk_files(artifacts))
        assert len(files) == manifest.artifact_files
        for info in files:  # every index entry has its blob, and the blob its checksum
            assert sum(len(chunk) for chunk in artifacts.iter_bytes(info.path)) == info.file_size
    finally:
        db.close()


def test_a_server_serves_the_restored_store(tmp_path, busy_backup, server_factory):
    _, backup, manifest = busy_backup
    restored = tmp_path / "restored"
    restore_store(backup, tracking_uri=str(restored))
    tracking_uri.close_all()
    server = server_factory("--backend-store-uri", str(restored), "--artifacts-destination",
                            str(restored / "artifacts"))
    with httpx.Client(base_url=server.url, timeout=60) as http:
        experiment = http.get("/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "busy"}).json()
        found = http.post("/api/2.0/mlflow/runs/search", json={
            "experiment_ids": [experiment["experiment"]["experiment_id"]], "max_results": 1000,
            "filter": "tags.complete = 'yes'"}).json()["runs"]
        assert 5 <= len(found) <= manifest.counts["runs"]
        run = found[0]["info"]
        history = http.get("/api/2.0/mlflow/metrics/get-history", params={"run_id": run["run_id"], "metric_key": "m3"})
        assert [p["step"] for p in history.json()["metrics"]] == list(range(STEPS))
        location = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
        payload = http.get(f"/api/2.0/mlflow-artifacts/artifacts/{location}/data/payload.txt")
        assert payload.status_code == 200 and payload.content.startswith(b"payload of run")


def test_the_cli_backs_up_and_restores_with_progress(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    store = tmp_path / "store"
    client = cairn.Client(str(store))
    run = client.create_run("0")
    client.log_text(run.run_id, "hello", "hello.txt")
    client.close()
    tracking_uri.close_all()
    assert cli.main(["--tracking-uri", str(store), "backup", str(tmp_path / "b"), "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert (doc["counts"]["runs"], doc["artifact_files"], doc["schema_revision"]) == (1, 1, migrations.HEAD)
    assert "Copying the metadata (one consistent snapshot)..." in err and "Copying 1 artifact files..." in err
    assert cli.main(["--tracking-uri", str(tmp_path / "r"), "restore", str(tmp_path / "b")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"Restored {tmp_path / 'b'}: 1 experiments, 1 runs") and "Restoring the metadata" in err
    assert cli.main(["--tracking-uri", "http://127.0.0.1:9", "backup", str(tmp_path / "c")]) == 1
    assert "run this on the server's machine" in capsys.readouterr().err


@pytest.fixture
def small_backup(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    client = cairn.Client(str(store))
    run = client.create_run("0")
    client.log_text(run.run_id, "hello", "hello.txt")
    client.close()
    backup_store(tmp_path / "small", tracking_uri=str(store), cairn_version="test")
    tracking_uri.close_all()
    return tmp_path / "small"


def test_restore_refuses_a_store_that_is_not_empty(tmp_path, small_backup):
    other = tmp_path / "other"
    client = cairn.Client(str(other))
    client.create_experiment("mine")
    with pytest.raises(Conflict, match="Refusing to restore into a store that is not empty .*experiments"):
        restore_store(small_backup, tracking_uri=str(other))
    assert client.get_experiment_by_name("mine") is not None
    client.close()


def test_restore_refuses_a_damaged_or_newer_backup(tmp_path, small_backup):
    manifest = json.loads((small_backup / "manifest.json").read_text())
    (small_backup / "manifest.json").write_text(json.dumps({**manifest, "schema_revision": "9999"}))
    with pytest.raises(InvalidParameter, match="made by a newer Cairn .*schema 9999"):
        restore_store(small_backup, tracking_uri=str(tmp_path / "a"))
    (small_backup / "manifest.json").write_text(json.dumps(manifest))
    with (small_backup / "metadata.sqlite").open("r+b") as damaged:
        damaged.seek(5000)
        damaged.write(b"\xff")
    with pytest.raises(InvalidParameter, match="is damaged: metadata.sqlite .* does not match the checksum"):
        restore_store(small_backup, tracking_uri=str(tmp_path / "b"))
    assert not (tmp_path / "b" / "artifacts" / "tree").exists() or not any((tmp_path / "b" / "artifacts" / "tree").iterdir())


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path, small_backup):
    with pytest.raises(InvalidParameter, match="exists and is not an empty folder"):
        backup_store(small_backup, tracking_uri=str(tmp_path / "store"), cairn_version="test")
