"""One run: overview (status, times, user, source, git), params, latest metrics with charts,
registry versions made from it, and the artifacts browser with previews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import Experiment, FileInfo, ModelVersion, Run
from cairn.registry.versions import model_versions_of_runs
from cairn.tracking import experiments, runs

from . import artifact_previews
from .pages import Handler, page
from .stores import stores_of
from .templating import Pages
from .visibility import REGISTERED_MODEL, readable_names

MAX_CHARTS = 12
_SOURCE_TAGS = {
    "mlflow.source.name": "Source", "mlflow.source.type": "Source type",
    "mlflow.source.git.commit": "Git commit", "mlflow.source.git.branch": "Git branch",
    "mlflow.source.git.repoURL": "Git remote", "cairn.git.dirty": "Uncommitted changes",
}  # fmt: skip


@dataclass
class RunView:
    run: Run
    experiment: Experiment
    source: list[tuple[str, str]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)
    versions: list[ModelVersion] = field(default_factory=list)
    chart_keys: list[str] = field(default_factory=list)


def load_run(stores: Any, run_id: str, request: Request | None = None) -> RunView:
    """The run page's data; with ``request``, registry versions of models its caller may not read
    are left out."""
    run = runs.get_run(stores.db, run_id)
    view = RunView(run, experiments.get_experiment(stores.db, run.info.experiment_id))
    tags = run.data.tags
    view.source = [(label, tags[key]) for key, label in _SOURCE_TAGS.items() if key in tags]
    view.tags = sorted((k, v) for k, v in tags.items() if not k.startswith(("mlflow.", "cairn.")))
    view.files = artifact_previews.list_files(stores.artifacts, run, "")
    versions = model_versions_of_runs(stores.db, [run_id]).get(run_id, [])
    if request is not None:
        shown = readable_names(request, REGISTERED_MODEL, {v.name for v in versions})
        versions = [v for v in versions if v.name in shown]
    view.versions = versions
    view.chart_keys = sorted(run.data.metrics)[:MAX_CHARTS]
    return view


def run_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        view = await run_in_threadpool(load_run, stores_of(request), request.path_params["run_id"], request)
        return pages.render(request, "run.html", twin=view, view=view, run=view.run, title=view.run.info.run_name)

    return handler
