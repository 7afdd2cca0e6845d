"""The stability window through ``cairn models``: the policy option, the standby row of the
timeline, and the one-command rollback inside the window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cairn
from tests import backends


@pytest.fixture
def store(tmp_path: Path) -> Iterator[str]:
    with backends.embedded_store(tmp_path / "store") as uri:
        client = cairn.Client(tracking_uri=uri)
        run = client.create_run("0", run_name="train")
        client.log_text(run.run_id, "weights", "model/model.pkl")
        for _ in range(2):
            client.register_model(f"runs:/{run.run_id}/model", "churn")
        yield uri


def test_policy_timeline_and_rollback_of_a_standby_version(store: str, tmp_path: Path,
                                                           in_process: Callable[..., Any]) -> None:
    cli = in_process(store, tmp_path, 200)
    shown = cli("models", "policy", "churn", "--archive-previous-after", "48h")
    assert shown.returncode == 0, shown.stderr
    assert "on standby 2d 0h, then archived" in shown.stdout, shown.stdout
    assert cli("models", "policy", "churn", "--json").json()["policy"]["archive_previous_after_ms"] == 48 * 3_600_000
    bad = cli("models", "policy", "churn", "--archive-previous-after", "soon")
    assert bad.returncode != 0 and "90s, 30m, 2h or 1d" in bad.stderr

    assert cli("models", "promote", "churn", "1", "--to", "Production").returncode == 0
    assert cli("models", "promote", "churn", "2", "--to", "Production").returncode == 0
    timeline = cli("models", "timeline", "churn")
    standby_rows = [line for line in timeline.stdout.splitlines() if line.lstrip().startswith("Standby")]
    assert len(standby_rows) == 1 and "v1" in standby_rows[0] and "now" in standby_rows[0], timeline.stdout
    assert "v1 standby" in timeline.stdout  # the chart's row
    intervals = cli("models", "timeline", "churn", "--json").json()["intervals"]
    assert [(i["kind"], i["version"], i["end"]) for i in intervals if i["kind"] == "standby"] == [("standby", 1, None)]

    rolled = cli("models", "rollback", "churn", "--reason", "v2 misbehaves", "--json")
    assert rolled.returncode == 0, rolled.stderr
    versions = {v["version"]: v["stage"]
                for v in cli("models", "versions", "churn", "--json").json()["versions"]}
    assert versions == {1: "Production", 2: "Archived"}


def test_stability_shows_the_window_and_breach_records_one(store: str, tmp_path: Path,
                                                           in_process: Callable[..., Any]) -> None:
    cli = in_process(store, tmp_path, 200)
    none = cli("models", "stability", "churn")
    assert none.returncode == 0 and "no version on standby" in none.stdout, none.stdout
    cli("models", "policy", "churn", "--archive-previous-after", "48h")
    cli("models", "promote", "churn", "1", "--to", "Production")
    cli("models", "promote", "churn", "2", "--to", "Production")
    shown = cli("models", "stability", "churn")
    assert shown.returncode == 0, shown.stderr
    assert "v1 on standby behind v2" in shown.stdout and "unless a rollback or a breach" in shown.stdout, shown.stdout
    refused = cli("models", "breach", "churn", "1", "--reason", "x")
    assert refused.returncode != 0 and "not in Production" in refused.stderr
    recorded = cli("models", "breach", "churn", "2", "--reason", "refunds doubled", "--json")
    assert recorded.returncode == 0 and recorded.json()["action"] == "gate_breach"
    after = cli("models", "stability", "churn", "--json").json()["windows"][0]
    assert after["breach"]["reason"] == "refunds doubled" and after["breach"]["actor"]
