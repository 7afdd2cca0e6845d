"""One run: overview (status, times, user, source, git), params, latest metrics with charts,
code, environment, seeds, datasets and logged models (``run_provenance``), registry versions made
from it, its media per key and step, and the artifacts browser with previews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.client.media_index import MediaItem
from cairn.entities import Experiment, FileInfo, ModelVersion, Run
from cairn.registry.versions import model_versions_of_runs
from cairn.tracking import experiments, runs
from cairn.tracking.retention_trail import explain_missing

from . import artifact_previews
from .chart_runs import chart_runs, charts_of, runs_json
from .pages import Handler, page
from .run_provenance import Provenance, load_provenance
from .stores import stores_of
from .templating import Pages
from .visibility import REGISTERED_MODEL, readable_names

MAX_CHARTS = 12
# git's commit, branch, remote and dirty flag are in the Code section (run_provenance)
_SOURCE_TAGS = {"mlflow.source.name": "Source", "mlflow.source.type": "Source type"}


@dataclass
class RunView:
    run: Run
    experiment: Experiment
    source: list[tuple[str, str]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)
    files_gone: str | None = None  # why there are none: retention deleted them
    versions: list[ModelVersion] = field(default_factory=list)
    chart_keys: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    media: list[MediaItem] = field(default_factory=list)


def load_run(stores: Any, run_id: str, request: Request | None = None) -> RunView:
    """The run page's data; with ``request``, registry versions of models its caller may not read
    are left out."""
    run = runs.get_run(stores.db, run_id)
    view = RunView(run, experiments.get_experiment(stores.db, run.info.experiment_id))
    tags = run.data.tags
    view.source = [(label, tags[key]) for key, label in _SOURCE_TAGS.items() if key in tags]
    view.tags = sorted((k, v) for k, v in tags.items() if not k.startswith(("mlflow.", "cairn.")))
    view.files = artifact_previews.list_files(stores.artifacts, run, "")
    if view.files:
        view.media = artifact_previews.media_of(stores.artifacts, run)
    if not view.files:
        view.files_gone = explain_missing(stores.db, artifact_previews.location_of(run, ""))
    versions = model_versions_of_runs(stores.db, [run_id]).get(run_id, [])
    if request is not None:
        shown = readable_names(request, REGISTERED_MODEL, {v.name for v in versions})
        versions = [v for v in versions if v.name in shown]
    view.versions = versions
    view.chart_keys = sorted(run.data.metrics)[:MAX_CHARTS]
    view.provenance = load_provenance(stores.db, stores.artifacts, run, view.files)
    return view


def run_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        view = await run_in_threadpool(load_run, stores_of(request), request.path_params["run_id"], request)
        drawn = chart_runs([view.run])
        return pages.render(request, "run.html", twin=view, view=view, run=view.run, title=view.run.info.run_name,
                            charts=charts_of(view.chart_keys, drawn), chart_runs=runs_json(drawn))

    return handler
