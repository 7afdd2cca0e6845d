"""Cairn's dataset, run-diff, lineage and drift endpoints under /api/cairn/v1/.

They answer from the same domain functions the embedded SDK calls (``cairn.datasets.catalog``,
``cairn.registry.diff``, ``cairn.registry.lineage``, ``cairn.datasets.drift``) and read
references by the same rules (``cairn.datasets.profile_refs``, ``cairn.registry.refs``), so a
client sees the same records through a server. A diff read here never runs ``git log``: the server's
working directory is not the user's repository.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.datasets import catalog
from cairn.datasets.profile_refs import resolve_profile
from cairn.entities import Dataset, Metric, Run
from cairn.errors import NotFound
from cairn.registry.refs import model_run_id, resolve_model_ref
from cairn.registry.diff import MAX_TEXT_ARTIFACT_BYTES
from cairn.store.database import Database
from cairn.store.datasets import DatasetRecord, DatasetUse
from cairn.tracking import metrics_history, runs
from cairn.tracking.locations import store_path_of

from .decoders import request_fields
from .fields import Fields
from .routes_cairn_registry import PREFIX
from .state import artifacts_of, db_of
from .wire import wire_json



def _ref(f: Fields, name: str = "ref") -> str:
    return f.required_string(name)


# wire forms ------------------------------------------------------------------------------

def dataset_to_wire(ds: Dataset) -> dict[str, Any]:
    wire: dict[str, Any] = {"name": ds.name, "digest": ds.digest, "source_type": ds.source_type, "source": ds.source}
    if ds.schema is not None:
        wire["schema"] = ds.schema
    if ds.profile is not None:
        wire["profile"] = ds.profile
    return wire


def record_to_wire(record: DatasetRecord) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "dataset_id": record.dataset_id,
        "experiment_id": record.experiment_id,
        "dataset": dataset_to_wire(record.dataset),
        "run_count": record.run_count,
        "contexts": list(record.contexts),
    }
    if record.last_used is not None:
        wire["last_used"] = record.last_used
    return wire


def use_to_wire(use: DatasetUse) -> dict[str, Any]:
    return asdict(use)


# handlers --------------------------------------------------------------------------------

async def search_datasets(request: Request) -> Response:
    f = await request_fields(request)
    ids = f.strings("experiment_ids") or None
    max_results = f.int64("max_results", default=100)
    found = await run_in_threadpool(
        lambda: catalog.search_datasets(db_of(request), f.string("name"), f.string("digest"), f.string("context"),
                                        f.string("source"), ids, max_results)
    )
    return wire_json({"datasets": [record_to_wire(r) for r in found]})


async def get_dataset(request: Request) -> Response:
    f = await request_fields(request)
    record = await run_in_threadpool(catalog.get_dataset, db_of(request), _ref(f))
    return wire_json({"dataset": record_to_wire(record)})


async def dataset_runs(request: Request) -> Response:
    f = await request_fields(request)
    uses = await run_in_threadpool(catalog.dataset_runs, db_of(request), _ref(f))
    return wire_json({"runs": [use_to_wire(u) for u in uses]})


async def diff_runs(request: Request) -> Response:
    from cairn.registry.diff import diff_runs as diff

    f = await request_fields(request)
    a, b = _ref(f, "a"), _ref(f, "b")
    curves = f.boolean("curves", default=True)
    db = db_of(request)
    reader = ServerRunReader(db, artifacts_of(request))
    found = await run_in_threadpool(
        lambda: diff(reader, _run_id_of(db, a), _run_id_of(db, b), curves=curves, git_log=False)
    )
    return wire_json({"diff": found.to_dict()})


async def lineage(request: Request) -> Response:
    from cairn.registry.lineage import build_lineage

    f = await request_fields(request)
    graph = await run_in_threadpool(build_lineage, db_of(request), _ref(f))
    return wire_json({"lineage": graph.to_dict()})


async def drift(request: Request) -> Response:
    from cairn.datasets.drift import measure_drift

    f = await request_fields(request)
    baseline, current = _ref(f, "baseline"), _ref(f, "current")
    db = db_of(request)
    sources = ServerProfileSources(db)
    before = await run_in_threadpool(resolve_profile, sources, baseline)
    after = await run_in_threadpool(resolve_profile, sources, current)
    report = measure_drift(before[1], after[1])
    return wire_json({"baseline": before[0], "current": after[0], "report": report.to_dict()})


# helpers ---------------------------------------------------------------------------------

class ServerRunReader:
    """``registry.diff.RunReader`` over the server's store and artifact store."""

    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
        self._db, self._artifacts = db, artifacts

    def get_run(self, run_id: str) -> Run:
        return runs.get_run(self._db, run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return list(metrics_history.get_metric_history(self._db, run_id, key).items)

    def read_artifact_text(self, run_id: str, path: str) -> str | None:
        root = store_path_of(self.get_run(run_id).info.artifact_uri)
        location = f"{root}/{clean_relative_path(path)}"
        try:
            with self._artifacts.open(location) as handle:
                return handle.read(MAX_TEXT_ARTIFACT_BYTES).decode("utf-8", errors="replace")
        except (NotFound, IsADirectoryError, FileNotFoundError):
            return None


class ServerProfileSources:
    """``profile_refs.ProfileSources`` over the server's store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_run(self, run_id: str) -> Run:
        return runs.get_run(self._db, run_id)

    def get_dataset(self, ref: str) -> DatasetRecord:
        return catalog.get_dataset(self._db, ref)

    def model_run_id(self, ref: str) -> str | None:
        return model_run_id(ref, partial(resolve_model_ref, self._db))


def _run_id_of(db: Database, ref: str) -> str:
    return model_run_id(ref, partial(resolve_model_ref, db)) or ref


ROUTES = [
    ("/datasets/search", ["GET"], search_datasets),
    ("/datasets/get", ["GET"], get_dataset),
    ("/datasets/runs", ["GET"], dataset_runs),
    ("/runs/diff", ["GET"], diff_runs),
    ("/lineage", ["GET"], lineage),
    ("/drift", ["POST"], drift),
]


def routes() -> list[Route]:
    """One Route per path under /api/cairn/v1 (each path takes one method; another gets 405)."""
    return [Route(PREFIX + path, handler, methods=methods) for path, methods, handler in ROUTES]
