"""``cairn experiments retention`` and ``cairn gc`` from a terminal, in-process on an embedded
store written with the SDK: a policy, a dry run that deletes nothing, the real run, the trail,
and a download of a collected file that says when and by which policy it went."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cairn
from cairn import cli
from cairn.client import tracking_uri


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    """Three finished runs of 'churn', oldest first, each with a file of its own."""
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    uri = str(tmp_path / "store")
    client = cairn.Client(uri)
    experiment_id = client.create_experiment("churn")
    ids = []
    for i in range(3):
        run = client.create_run(experiment_id, run_name=f"run{i}", start_time=1_700_000_000_000 + i)
        client.log_text(run.run_id, f"notes {i}\n" * 20, "notes.txt")
        client.set_terminated(run.run_id)
        ids.append(run.run_id)
    yield uri, ids
    client.close()
    tracking_uri.close_all()


@pytest.fixture
def cairn_cli(store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("CAIRN_USER", "alice")

    def run(*args: str) -> Result:
        code = cli.main(["--tracking-uri", store[0], *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def test_a_policy_is_set_shown_and_cleared(cairn_cli):
    assert "has no retention policy" in cairn_cli("experiments", "retention", "show", "churn").out
    doc = cairn_cli("experiments", "retention", "set", "churn", "--keep-last", "2", "--keep-days", "30",
                    "--json").json()
    assert (doc["policy"]["keep_last"], doc["policy"]["keep_days"], doc["policy"]["updated_by"]) == (2, 30, "alice")
    assert "keep latest runs      2" in cairn_cli("experiments", "retention", "show", "churn").out
    assert cairn_cli("experiments", "retention", "clear", "churn", "--json").json()["policy"] is None
    refused = cairn_cli("experiments", "retention", "clear", "churn")
    assert refused.code == 1 and "has no retention policy; there is nothing to clear" in refused.err
    empty = cairn_cli("experiments", "retention", "set", "churn")
    assert empty.code == 1 and "give at least one" in empty.err


def test_dry_run_lists_run_path_and_bytes_then_gc_deletes_and_the_trail_shows_it(cairn_cli, store):
    _, (oldest, *_) = store
    cairn_cli("experiments", "retention", "set", "churn", "--keep-last", "2")
    dry = cairn_cli("gc", "--dry-run", "--json").json()
    (going,) = [r for r in dry["runs"] if r["deleted_time"] is not None]
    assert (going["run_id"], going["location"].endswith(f"/{oldest}/artifacts"), going["bytes"]) == (oldest, True, 160)
    assert (dry["deleted_bytes"], dry["bytes_freed"]) == (160, 160)
    table = cairn_cli("gc", "--dry-run").out
    assert "would delete" in table and "1 files (160 B) of 1 run; 160 B of storage would be freed" in table
    assert cairn_cli("artifacts", "list", oldest, "--json").json()["files"] != []
    done = cairn_cli("gc", "--user", "ops", "--json").json()
    assert [r["run_id"] for r in done["runs"] if r["deleted_time"]] == [oldest] and done["bytes_freed"] == 160
    (event, _) = cairn_cli("experiments", "retention", "log", "churn", "--json").json()["events"]
    assert (event["action"], event["run_id"], event["actor"], event["bytes"]) == ("artifacts_deleted", oldest, "ops",
                                                                                 160)
    failed = cairn_cli("artifacts", "download", oldest, "notes.txt", "-d", "out")
    assert failed.code == 1
    assert "were deleted on" in failed.err and "retention policy of experiment 'churn' (keep the 2 latest runs)" \
        in failed.err and "cairn gc run by ops" in failed.err
