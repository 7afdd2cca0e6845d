"""A source that cannot be read is a usage error: one line on stderr saying what is wrong,
exit code 2, no traceback, and nothing written to the Cairn store."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cairn.store.database import open_database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _refused(cli: Callable[..., Any], store: Path, *source: str) -> str:
    done = cli("--tracking-uri", str(store), "import", "mlflow", *source)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not store.exists(), "nothing may be written when the source cannot be read"
    return lines[0]


def test_a_missing_database_file_is_named(tmp_path: Path, cairn_main: Callable[..., Any]) -> None:
    missing = tmp_path / "nope" / "mlflow.db"
    line = _refused(cairn_main, tmp_path / "cairn", "--from", f"sqlite:///{missing}")
    assert f"No MLflow database at {missing}" in line


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path, cairn_main: Callable[..., Any]) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("these are notes, not a database\n")
    line = _refused(cairn_main, tmp_path / "cairn", "--from", f"sqlite:///{notes}")
    assert "is not an MLflow tracking database" in line


def test_a_database_that_is_not_mlflows_is_refused(tmp_path: Path, cairn_main: Callable[..., Any]) -> None:
    # A Cairn store has experiments and runs tables too, but not MLflow's.
    open_database(f"sqlite:///{tmp_path / 'other.db'}").close()
    line = _refused(cairn_main, tmp_path / "cairn", "--from", f"sqlite:///{tmp_path / 'other.db'}")
    assert "is not an MLflow tracking database" in line


def test_an_unreachable_server_is_named(tmp_path: Path, cairn_main: Callable[..., Any]) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    line = _refused(cairn_main, tmp_path / "cairn", "--from-server", url)
    assert f"Cannot reach the MLflow server at {url}" in line


def test_a_server_that_does_not_speak_mlflow_is_refused(
    tmp_path: Path, cairn_main: Callable[..., Any], receiver: Any,
) -> None:
    url = receiver.url.rsplit("/", 1)[0]
    line = _refused(cairn_main, tmp_path / "cairn", "--from-server", url)
    assert "does not answer MLflow's REST API" in line


@pytest.mark.parametrize("options", [[], ["--from", "sqlite:///a.db", "--from-server", "http://127.0.0.1:1"]],
                         ids=["neither", "both"])
def test_exactly_one_source_must_be_named(tmp_path: Path, cairn_main: Callable[..., Any], options: list[str]) -> None:
    line = _refused(cairn_main, tmp_path / "cairn", *options)
    assert "--from <MLflow backend URI> or --from-server" in line


def test_proxied_artifacts_need_the_artifacts_folder(
    tmp_path: Path, cairn_main: Callable[..., Any], mlflow_store: Any,
) -> None:
    line = _refused(cairn_main, tmp_path / "cairn", "--from", mlflow_store.db_uri)
    assert "give --artifacts" in line


def test_a_missing_artifacts_folder_is_named(
    tmp_path: Path, cairn_main: Callable[..., Any], mlflow_store: Any,
) -> None:
    line = _refused(cairn_main, tmp_path / "cairn", "--from", mlflow_store.db_uri, "--artifacts",
                    str(tmp_path / "nowhere"))
    assert "no such folder" in line
