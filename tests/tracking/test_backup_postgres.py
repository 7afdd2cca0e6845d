"""Backup and restore of a PostgreSQL store (``pg_dump -Fc`` on an exported snapshot, then
``pg_restore``), on a throwaway cluster started for this module; skipped where PostgreSQL's
programs are not installed or cannot run as the ``postgres`` user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cairn
from cairn.client import tracking_uri
from cairn.client.backups import backup_store, restore_store
from cairn.errors import Conflict

pytestmark = pytest.mark.slow

_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT``: a cluster of its own (no database named)."""
    if not _BIN or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's programs and root (to run them as the postgres user)")
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="cairn-backup-pg-", dir="/tmp"))
    os.chown(folder, user.pw_uid, user.pw_gid)
    as_postgres = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    bin_dir = Path(_BIN[-1])
    subprocess.run([bin_dir / "initdb", "-D", folder / "data", "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--no-sync"], check=True, capture_output=True, **as_postgres)
    port = _free_port()
    server = subprocess.Popen([bin_dir / "postgres", "-D", folder / "data", "-p", str(port), "-k", folder,
                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_postgres)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres").close()
                break
            except psycopg.OperationalError:
                assert time.monotonic() < deadline and server.poll() is None, "PostgreSQL did not start"
                time.sleep(0.1)  # polling for readiness, not ordering test steps
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        tracking_uri.close_all()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _database(cluster: str, name: str) -> str:
    import psycopg

    with psycopg.connect(cluster.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{cluster}/{name}"


def test_a_postgresql_store_is_backed_up_and_restored(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    source = _database(cluster, "source")
    monkeypatch.setenv("CAIRN_ARTIFACTS_ROOT", str(tmp_path / "source-artifacts"))
    client = cairn.Client(source)
    run = client.create_run("0", run_name="on-postgres")
    client.log_text(run.run_id, "hello from postgres", "notes.txt")
    client.log_metric(run.run_id, "loss", 0.25, step=3, synchronous=True)
    client.close()
    manifest = backup_store(tmp_path / "backup", tracking_uri=source, cairn_version="test")
    assert (manifest.dialect, manifest.metadata_file, manifest.counts["runs"]) == ("postgresql", "metadata.pgdump", 1)

    target = _database(cluster, "target")
    monkeypatch.setenv("CAIRN_ARTIFACTS_ROOT", str(tmp_path / "target-artifacts"))
    assert restore_store(tmp_path / "backup", tracking_uri=target) == manifest
    tracking_uri.close_all()
    restored = cairn.Client(target)
    back = restored.get_run(run.run_id)
    assert (back.info.run_name, back.data.metrics["loss"].value) == ("on-postgres", 0.25)
    local = restored.download_artifacts(run.run_id, "notes.txt", dst_path=str(tmp_path))
    assert Path(local).read_text() == "hello from postgres"
    with pytest.raises(Conflict, match="not empty"):
        restore_store(tmp_path / "backup", tracking_uri=target)
    restored.close()
