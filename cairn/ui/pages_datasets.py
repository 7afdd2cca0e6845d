"""Datasets: the catalog (what each run trained and validated on, by content digest), one
dataset's schema, per-column profile and the runs that used it, and the drift between two datasets
(or a model's training data and its served features): what ``cairn datasets list``, ``cairn
datasets show`` and ``cairn drift`` answer, through the same ``Client`` calls.

Drift takes references, never paths: the server's files are not the user's to profile.

With ``--auth`` a caller sees the datasets recorded in experiments they may read: the list and the
drift form's choices are searched within those experiments, a dataset page answers 404 for a
dataset only hidden experiments hold (as if it did not exist), its runs are those the caller may
read, and drift refuses a run, version or prediction log whose experiment or model they may not read.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.datasets.profile_refs import DATASET_PREFIX, RUN_PREFIX, resolve_profile
from cairn.entities import Run
from cairn.errors import InvalidParameter, NotFound, PermissionDenied
from cairn.registry.refs import model_run_id
from cairn.store.datasets import DatasetRecord

from .pages import Handler, page
from .profile_charts import column_views
from .store_client import client_of
from .templating import Pages
from .visibility import EXPERIMENT, REGISTERED_MODEL, may_read, readable_keys

MAX_DATASETS_SHOWN = 1000
MAX_REF_LENGTH = 500
PREDICTIONS_PREFIX = "predictions:"
MODELS_PREFIX = "models:/"


def datasets_page(pages: Pages) -> Handler:
    """Every dataset the caller may see, most recently used first; ``?format=json`` answers the
    records (as ``/api/cairn/v1/datasets/search`` does)."""

    @page(pages)
    async def handler(request: Request) -> Response:
        ids = readable_keys(request, EXPERIMENT)
        records = await run_in_threadpool(_search, client_of(request), ids)
        return pages.render(request, "datasets.html", twin={"datasets": records}, records=records, choices=_choices(records),
                            section="datasets", title="Datasets")

    return handler


def dataset_page(pages: Pages) -> Handler:
    """One dataset by digest (or name); ``?format=json`` answers it with its runs. REST twins: ``/api/cairn/v1/datasets/get?ref=`` and
    ``/api/cairn/v1/datasets/runs?ref=``."""

    @page(pages)
    async def handler(request: Request) -> Response:
        client = client_of(request)

        ids = readable_keys(request, EXPERIMENT)

        def load() -> tuple[DatasetRecord, list[Any], list[DatasetRecord]]:
            record = _visible_dataset(client, request.path_params["ref"], ids)
            uses = [u for u in client.list_dataset_runs(record.dataset.digest) if ids is None or u.experiment_id in ids]
            return record, uses, _search(client, ids)

        record, uses, others = await run_in_threadpool(load)
        d = record.dataset
        profile, schema = _json(d.profile), _json(d.schema)
        return pages.render(request, "dataset.html", twin={"dataset": record, "runs": uses}, record=record, d=d, uses=uses, profile=profile, schema=schema,
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

        ids = readable_keys(request, EXPERIMENT)

        def load() -> dict[str, Any]:
            records = _search(client, ids)
            found: dict[str, Any] = {"choices": _choices(records), "report": None}
            if baseline and current:
                base_label, base_profile = _profile(client, baseline, request, ids)
                cur_label, cur_profile = _profile(client, current, request, ids)
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


def _search(client: Any, ids: list[str] | None) -> list[DatasetRecord]:
    """The catalog within the experiments ``ids`` (None: all of them)."""
    if ids == []:
        return []
    found: list[DatasetRecord] = client.search_datasets(experiment_ids=ids, max_results=MAX_DATASETS_SHOWN)
    return found


def _visible_dataset(client: Any, ref: str, ids: list[str] | None) -> DatasetRecord:
    """The dataset ``ref`` names, as recorded in an experiment the caller may read."""
    if ids is None:
        found: DatasetRecord = client.get_dataset(ref)
        return found
    try:
        record: DatasetRecord = client.get_dataset(ref)
    except InvalidParameter:  # the message would list digests of datasets the caller may not see
        raise InvalidParameter(f"'{ref}' matches several datasets; give more of the digest.") from None
    if record.experiment_id in ids:
        return record
    readable = client.search_datasets(digest=record.dataset.digest, experiment_ids=ids, max_results=1) if ids else []
    if not readable or readable[0].dataset.digest != record.dataset.digest:
        raise NotFound(f"No dataset with digest or name '{ref}'. List datasets with `cairn datasets list`.")
    return dataclasses.replace(readable[0], dataset=record.dataset)  # same digest: same content and profile


def _profile(client: Any, ref: str, request: Request, ids: list[str] | None) -> tuple[str, dict[str, Any]]:
    if ref.startswith(PREDICTIONS_PREFIX):
        _require_model(request, ref.removeprefix(PREDICTIONS_PREFIX).strip())
        label, profile = client.dataset_profile(ref)  # the prediction log's features, as `cairn drift` reads them
        return str(label), dict(profile)
    return resolve_profile(_Sources(client, request, ids), ref)


def _require_model(request: Request, name: str) -> None:
    if not may_read(request, REGISTERED_MODEL, name):
        raise PermissionDenied(f"You may not read model '{name}'.")


class _Sources:
    """``profile_refs.ProfileSources`` over the page's client (runs, datasets, model versions),
    each checked against what the caller may read."""

    def __init__(self, client: Any, request: Request, ids: list[str] | None) -> None:
        self._client, self._request, self._ids = client, request, ids

    def get_run(self, run_id: str) -> Run:
        run: Run = self._client.get_run(run_id)
        if self._ids is not None and run.info.experiment_id not in self._ids:
            raise PermissionDenied(f"You may not read the experiment of run {run_id}.")
        return run

    def get_dataset(self, ref: str) -> DatasetRecord:
        return _visible_dataset(self._client, ref, self._ids)

    def model_run_id(self, ref: str) -> str | None:
        def resolve(model_ref: str) -> Any:
            version = self._client.resolve_model_version(model_ref)
            _require_model(self._request, version.name)
            return version

        return model_run_id(ref, resolve)


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
