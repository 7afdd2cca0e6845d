"""Datasets: the catalog (what each run trained and validated on, by content digest), one
dataset's schema, per-column profile and the runs that used it, and the drift between two datasets
(or a model's training data and its served features): what ``cairn datasets list``, ``cairn
datasets show`` and ``cairn drift`` answer, through the same ``Client`` calls.

Drift takes references, never paths: the server's files are not the user's to profile.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.datasets.profile_refs import DATASET_PREFIX, RUN_PREFIX, resolve_profile
from cairn.entities import Run
from cairn.errors import InvalidParameter
from cairn.registry.refs import model_run_id
from cairn.store.datasets import DatasetRecord

from .pages import Handler, page
from .profile_charts import column_views
from .store_client import client_of
from .templating import Pages

MAX_DATASETS_SHOWN = 1000
MAX_REF_LENGTH = 500
PREDICTIONS_PREFIX = "predictions:"
MODELS_PREFIX = "models:/"


def datasets_page(pages: Pages) -> Handler:
    """Every dataset, most recently used first. JSON twin: ``/api/cairn/v1/datasets/search``."""

    @page(pages)
    async def handler(request: Request) -> Response:
        records = await run_in_threadpool(lambda: client_of(request).search_datasets(max_results=MAX_DATASETS_SHOWN))
        return pages.render(request, "datasets.html", records=records, choices=_choices(records),
                            section="datasets", title="Datasets")

    return handler


def dataset_page(pages: Pages) -> Handler:
    """One dataset by digest (or name). JSON twins: ``/api/cairn/v1/datasets/get?ref=`` and
    ``/api/cairn/v1/datasets/runs?ref=``."""

    @page(pages)
    async def handler(request: Request) -> Response:
        client = client_of(request)

        def load() -> tuple[DatasetRecord, list[Any], list[DatasetRecord]]:
            record = client.get_dataset(request.path_params["ref"])
            return record, client.list_dataset_runs(record.dataset.digest), \
                client.search_datasets(max_results=MAX_DATASETS_SHOWN)

        record, uses, others = await run_in_threadpool(load)
        d = record.dataset
        profile, schema = _json(d.profile), _json(d.schema)
        return pages.render(request, "dataset.html", record=record, d=d, uses=uses, profile=profile, schema=schema,
                            columns=column_views(profile if isinstance(profile, dict) else None),
                            choices=[c for c in _choices(others) if c[0] != f"{DATASET_PREFIX}{d.digest}"],
                            section="datasets", title=f"Dataset {d.name}")

    return handler


def drift_page(pages: Pages) -> Handler:
    """Drift of ``current`` against ``baseline`` (datasets, runs' training data, model versions'
    training data, or ``predictions:NAME``), most severe first. JSON twin: ``POST
    /api/cairn/v1/drift`` (datasets, runs and versions)."""

    @page(pages)
    async def handler(request: Request) -> Response:
        client = client_of(request)
        baseline = _ref(request.query_params.get("baseline", ""), "baseline")
        current = _ref(request.query_params.get("current", ""), "current")

        def load() -> dict[str, Any]:
            records = client.search_datasets(max_results=MAX_DATASETS_SHOWN)
            found: dict[str, Any] = {"choices": _choices(records), "report": None}
            if baseline and current:
                base_label, base_profile = _profile(client, baseline)
                cur_label, cur_profile = _profile(client, current)
                from cairn.datasets.drift import measure_drift  # NumPy loads with the first drift page

                found.update(report=measure_drift(base_profile, cur_profile).to_dict(),
                             baseline_label=base_label, current_label=cur_label)
            return found

        context = await run_in_threadpool(load)
        refs = [ref for ref, _ in context["choices"]]
        return pages.render(request, "drift.html", baseline=_chosen(baseline, refs), current=_chosen(current, refs),
                            section="datasets", title="Drift", **context)

    return handler


def _ref(text: str, label: str) -> str:
    """A reference the drift page accepts: ``dataset:``, ``run:``, ``models:/``, ``predictions:``;
    anything else is read as a dataset digest or name (never as a path on the server)."""
    value = text.strip()
    if len(value) > MAX_REF_LENGTH:
        raise InvalidParameter(f"The {label} reference is over {MAX_REF_LENGTH} characters.")
    if not value or value.startswith((DATASET_PREFIX, RUN_PREFIX, MODELS_PREFIX, PREDICTIONS_PREFIX)):
        return value
    return DATASET_PREFIX + value


def _profile(client: Any, ref: str) -> tuple[str, dict[str, Any]]:
    if ref.startswith(PREDICTIONS_PREFIX):
        label, profile = client.dataset_profile(ref)  # the prediction log's features, as `cairn drift` reads them
        return str(label), dict(profile)
    return resolve_profile(_Sources(client), ref)


class _Sources:
    """``profile_refs.ProfileSources`` over the page's client (runs, datasets, model versions)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get_run(self, run_id: str) -> Run:
        run: Run = self._client.get_run(run_id)
        return run

    def get_dataset(self, ref: str) -> DatasetRecord:
        record: DatasetRecord = self._client.get_dataset(ref)
        return record

    def model_run_id(self, ref: str) -> str | None:
        return model_run_id(ref, self._client.resolve_model_version)


def _chosen(ref: str, refs: list[str]) -> str:
    """The form's option for ``ref``: a digest prefix picks its dataset's full digest."""
    if ref in refs or not ref.startswith(DATASET_PREFIX):
        return ref
    matches = [r for r in refs if r.startswith(ref)]
    return matches[0] if len(matches) == 1 else ref


def _choices(records: list[DatasetRecord]) -> list[tuple[str, str]]:
    """(reference, label) for the drift form, one per digest."""
    seen: dict[str, str] = {}
    for r in records:
        ref = f"{DATASET_PREFIX}{r.dataset.digest}"
        seen.setdefault(ref, f"{r.dataset.name} @{r.dataset.digest[:12]}")
    return list(seen.items())


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def dataset_routes(pages: Pages) -> list[Route]:
    """``datasets/drift`` before ``datasets/{ref}``: pages link datasets by digest, never "drift"."""
    return [
        Route("/datasets", datasets_page(pages), methods=["GET"]),
        Route("/datasets/drift", drift_page(pages), methods=["GET"]),
        Route("/datasets/{ref}", dataset_page(pages), methods=["GET"]),
    ]
