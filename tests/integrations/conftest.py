"""The SDK pointed at a fresh experiment on the embedded store, then on a real `cairn server`
(one per session: the autolog tests only add runs), with every autolog patch removed after each
test so no framework stays patched for the rest of the suite."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cairn
from cairn.client import fluent, tracking_uri
from tests import backends


@pytest.fixture(scope="session")
def autolog_server(server_factory: Callable[..., Any]) -> Any:
    return server_factory()


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def tracking(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The tracking URI in force (a folder, or the server's URL), with a new experiment active."""
    monkeypatch.setenv("CAIRN_CAPTURE", "none")
    monkeypatch.chdir(tmp_path)  # frameworks write their own files (checkpoints) here
    with contextlib.ExitStack() as stack:
        if request.param == "server":
            uri = request.getfixturevalue("autolog_server").url
        else:
            uri = stack.enter_context(backends.embedded_store(tmp_path / "store"))
        fluent.set_tracking_uri(uri)
        fluent.set_experiment(f"autolog-{uuid.uuid4().hex[:8]}")
        try:
            yield uri
        finally:
            cairn.autolog(disable=True)
            while fluent.active_run() is not None:
                fluent.end_run()
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()


def only_run(status: str = "FINISHED") -> cairn.Run:
    """The one top-level run of the active experiment, checked finished."""
    runs = [r for r in cairn.search_runs(output_format="list") if "mlflow.parentRunId" not in r.data.tags]
    assert len(runs) == 1, [r.info.run_name for r in runs]
    assert runs[0].info.status == status
    return runs[0]


def history(run: cairn.Run, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in cairn.Client().get_metric_history(run.info.run_id, key)]


def datasets(run: cairn.Run) -> dict[str, tuple[str, str]]:
    """Each input dataset of the run by name: its context and digest."""
    return {i.dataset.name: (i.tags.get("mlflow.data.context", ""), i.dataset.digest) for i in run.inputs}


def artifact_paths(run: cairn.Run, path: str | None = None) -> list[str]:
    return sorted(a.path for a in cairn.Client().list_artifacts(run.info.run_id, path or ""))
