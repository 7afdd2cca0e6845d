"""Retention through ``cairn server``: policies set through the Cairn API, ``cairn gc`` against
the server, and what the mlflow client, MLflow's download route and the web UI say when they ask
for a file retention deleted or a run it purged."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from cairn import Client
from cairn.cli import main as cairn_main
from cairn.client import tracking_uri

pytestmark = pytest.mark.slow

COLLECTED = "were deleted on .* by the retention policy of experiment '{}' \\(keep the latest run\\)"


@pytest.fixture(scope="module")
def gc_server(server_factory: Callable[..., Any]) -> Any:
    """A server of its own: gc acts on every experiment and every deleted run of its store."""
    return server_factory()


@pytest.fixture
def mlflow_client(gc_server: Any) -> Iterator[MlflowClient]:
    mlflow.set_tracking_uri(gc_server.url)
    yield MlflowClient(gc_server.url)
    mlflow.set_tracking_uri(None)


@pytest.fixture
def cairn_client(gc_server: Any) -> Iterator[Client]:
    client = Client(gc_server.url)
    yield client
    client.close()
    tracking_uri.close_all()  # the REST backend's keep-alive connection


def _runs_with_files(mlflow_client: MlflowClient, tmp_path: Path, count: int) -> tuple[str, str, list[str]]:
    name = f"ret-{uuid.uuid4().hex[:8]}"
    experiment_id = mlflow_client.create_experiment(name)
    ids = []
    for i in range(count):
        run = mlflow_client.create_run(experiment_id, start_time=1_700_000_000_000 + i)
        path = tmp_path / f"report-{i}.txt"
        path.write_text(f"report {i}\n" * 50)
        mlflow_client.log_artifact(run.info.run_id, str(path))
        mlflow_client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return name, experiment_id, ids


def test_mlflow_client_reading_a_collected_artifact_is_told_when_and_by_which_policy(
    mlflow_client: MlflowClient, cairn_client: Client, gc_server: Any, tmp_path: Path
) -> None:
    name, experiment_id, (old, new) = _runs_with_files(mlflow_client, tmp_path, 2)
    cairn_client.set_retention_policy(experiment_id, keep_last=1, user="alice")
    report = cairn_client.collect_garbage(user="ops")
    assert [(c.run_id, c.files) for c in report.runs if c.deleted_time is not None] == [(old, 1)]
    # Through a runs:/ URI the mlflow client replaces any server message with its own "Failed to
    # download artifacts from path"; through the artifact proxy it shows the server's.
    root = mlflow_client.get_run(old).info.artifact_uri
    with pytest.raises(MlflowException, match=COLLECTED.format(name)):
        mlflow.artifacts.download_artifacts(artifact_uri=f"{root}/report-0.txt", dst_path=str(tmp_path))
    location = root.removeprefix("mlflow-artifacts:/")
    proxied = httpx.get(f"{gc_server.url}/api/2.0/mlflow-artifacts/artifacts/{location}/report-0.txt")
    assert proxied.status_code == 404 and "cairn gc run by ops" in proxied.json()["message"]
    answer = httpx.get(f"{gc_server.url}/get-artifact", params={"run_uuid": old, "path": "report-0.txt"})
    assert answer.status_code == 404 and answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "cairn gc run by ops" in answer.json()["message"]
    listing = httpx.get(f"{gc_server.url}/runs/{old}/artifacts", params={"path": ""})
    assert "were deleted on" in listing.text
    page = httpx.get(f"{gc_server.url}/runs/{old}")
    assert page.status_code == 200 and f"the artifacts of run {old} were deleted on" in page.text
    preview = httpx.get(f"{gc_server.url}/runs/{old}/preview", params={"path": "report-0.txt"})
    assert preview.status_code == 404 and "cairn gc run by ops" in preview.text
    local = mlflow.artifacts.download_artifacts(run_id=new, artifact_path="report-1.txt", dst_path=str(tmp_path))
    assert Path(local).read_text().startswith("report 1")
    (event,) = [e for e in cairn_client.list_retention_events(experiment_id) if e.action == "artifacts_deleted"]
    assert (event.run_id, event.actor, event.files) == (old, "ops", 1)


def test_the_cli_collects_through_the_server(mlflow_client: MlflowClient, gc_server: Any, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    name, _, (old, _) = _runs_with_files(mlflow_client, tmp_path, 2)
    cli = ["--tracking-uri", gc_server.url]
    assert cairn_main([*cli, "experiments", "retention", "set", name, "--keep-last", "1"]) == 0
    capsys.readouterr()
    assert cairn_main([*cli, "gc", "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert old in {r["run_id"] for r in doc["runs"] if r["deleted_time"] is not None}
    assert doc["dry_run"] is True and doc["bytes_freed"] > 0
    assert mlflow_client.list_artifacts(old) != []


def test_a_deleted_run_is_purged_and_the_mlflow_client_is_told(
    mlflow_client: MlflowClient, cairn_client: Client, tmp_path: Path
) -> None:
    _, _, (run_id,) = _runs_with_files(mlflow_client, tmp_path, 1)
    mlflow_client.delete_run(run_id)
    report = cairn_client.collect_garbage(grace_days=0, user="ops")
    assert {(c.run_id, c.action) for c in report.runs} >= {(run_id, "run_purged")}
    with pytest.raises(MlflowException, match="it was purged on .* by the deleted-run grace period \\(0 days\\)"):
        mlflow_client.get_run(run_id)
