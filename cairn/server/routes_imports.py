"""Imports from another tracker under /api/cairn/v1/imports/: experiments, runs (begin, metric
points, complete), logged models (begin, complete) and registered models, as ``cairn import
mlflow`` sends them to a running server. Admins only (``auth.route_table``): an import writes
ids, times, users and audit events that no other route lets a caller choose.

Each handler decodes one message (field names of ``tracking.imports`` and ``registry.imports``),
calls one domain function and answers compactly."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.errors import InvalidParameter
from cairn.registry.imports import (
    ImportedModel,
    ImportedVersion,
    import_registered_model,
)
from cairn.tracking import imports, logged_model_imports
from cairn.tracking.imports import ImportedExperiment, ImportedRun, ImportStart
from cairn.tracking.logged_model_imports import ImportedLoggedModel
from cairn.tracking.logged_models import ModelLink, ModelMetric

from .decoders import decode_dataset_inputs, decode_metrics, request_fields
from .encoders import experiment_to_wire
from .fields import Fields, missing
from .registry_wire import actor_of
from .state import db_of
from .wire import empty_response, wire_json

PREFIX = "/api/cairn/v1/imports"


def _message(f: Fields, name: str) -> Fields:
    found = f.message(name)
    if found is None:
        raise missing(name)
    return found


def _source(f: Fields) -> str:
    return f.required_string("source")


def _start_to_wire(start: ImportStart) -> Response:
    return wire_json({"state": start.state.value, "artifact_location": start.artifact_location})


async def import_experiment(request: Request) -> Response:
    e = _message(await request_fields(request), "experiment")
    experiment = ImportedExperiment(
        experiment_id=e.required_string("experiment_id"), name=e.required_string("name"),
        lifecycle_stage=e.string("lifecycle_stage", default="active") or "active",
        creation_time=e.int64("creation_time"), last_update_time=e.int64("last_update_time"),
        tags=e.key_values("tags"),
    )  # fmt: skip
    found = await run_in_threadpool(imports.import_experiment, db_of(request), experiment)
    return wire_json({"experiment": experiment_to_wire(found.experiment), "created": found.created})


async def begin_run(request: Request) -> Response:
    f = await request_fields(request)
    r = _message(f, "run")
    run = ImportedRun(
        run_id=r.required_string("run_id"), experiment_id=r.required_string("experiment_id"),
        run_name=r.string("run_name", default="") or "", user_id=r.string("user_id", default="") or "",
        status=r.required_string("status"), start_time=r.int64("start_time"), end_time=r.int64("end_time"),
        lifecycle_stage=r.string("lifecycle_stage", default="active") or "active",
        deleted_time=r.int64("deleted_time"), params=r.key_values("params"), tags=r.key_values("tags"),
        inputs=decode_dataset_inputs(r),
        model_links=[ModelLink(m.required_string("model_id"), m.required_string("direction"),
                               m.int64("step", default=0) or 0) for m in r.messages("model_links")],
    )  # fmt: skip
    start = await run_in_threadpool(imports.begin_run_import, db_of(request), run, _source(f))
    return _start_to_wire(start)


async def import_metric_points(request: Request) -> Response:
    f = await request_fields(request)
    run_id = f.required_string("run_id")
    points, linked = decode_metrics(f)
    if linked:
        raise InvalidParameter("Imported run metrics name no logged model; a logged model's metrics come with "
                               "the model (imports/logged-models/begin).")
    await run_in_threadpool(imports.import_metric_points, db_of(request), run_id, points)
    return empty_response()


async def complete_run(request: Request) -> Response:
    f = await request_fields(request)
    await run_in_threadpool(imports.complete_run_import, db_of(request), f.required_string("run_id"))
    return empty_response()


async def begin_logged_model(request: Request) -> Response:
    f = await request_fields(request)
    m = _message(f, "model")
    model = ImportedLoggedModel(
        model_id=m.required_string("model_id"), experiment_id=m.required_string("experiment_id"),
        name=m.required_string("name"), creation_timestamp_ms=m.int64("creation_timestamp_ms", required=True) or 0,
        last_updated_timestamp_ms=m.int64("last_updated_timestamp_ms", required=True) or 0,
        status=m.required_string("status"), lifecycle_stage=m.string("lifecycle_stage", default="active") or "active",
        model_type=m.string("model_type"), source_run_id=m.string("source_run_id"),
        status_message=m.string("status_message"), tags=m.key_values("tags"), params=m.key_values("params"),
        metrics=[
            ModelMetric(p.required_string("key"), p.double("value", required=True) or 0.0,
                        p.int64("timestamp", required=True) or 0, p.int64("step", default=0) or 0,
                        m.required_string("model_id"), p.string("run_id"), p.string("dataset_name"),
                        p.string("dataset_digest"))
            for p in m.messages("metrics")
        ],
    )  # fmt: skip
    start = await run_in_threadpool(logged_model_imports.begin_logged_model_import, db_of(request), model, _source(f))
    return _start_to_wire(start)


async def complete_logged_model(request: Request) -> Response:
    f = await request_fields(request)
    model_id = f.required_string("model_id")
    await run_in_threadpool(logged_model_imports.complete_logged_model_import, db_of(request), model_id)
    return empty_response()


async def import_model(request: Request) -> Response:
    f = await request_fields(request)
    m = _message(f, "model")
    model = ImportedModel(
        name=m.required_string("name"), creation_timestamp=m.int64("creation_timestamp", required=True) or 0,
        last_updated_timestamp=m.int64("last_updated_timestamp", required=True) or 0,
        description=m.string("description", default="") or "", tags=m.key_values("tags"),
        aliases={a.required_string("alias"): a.int64("version", required=True) or 0 for a in m.messages("aliases")},
        versions=[_version(v) for v in m.messages("versions")], last_version=m.int64("last_version", default=0) or 0,
    )  # fmt: skip
    actor, source = actor_of(request), _source(f)
    outcomes = await run_in_threadpool(import_registered_model, db_of(request), model, actor, source)
    return wire_json({"outcomes": [
        {"kind": o.kind, "key": o.key, "status": o.status, **({"note": o.note} if o.note else {})} for o in outcomes
    ]})  # fmt: skip


def _version(v: Fields) -> ImportedVersion:
    return ImportedVersion(
        version=v.int64("version", required=True) or 0,
        creation_timestamp=v.int64("creation_timestamp", required=True) or 0,
        last_updated_timestamp=v.int64("last_updated_timestamp", required=True) or 0,
        current_stage=v.string("current_stage", default="None") or "None",
        description=v.string("description", default="") or "", source=v.string("source", default="") or "",
        run_id=v.string("run_id"), run_link=v.string("run_link"), status=v.string("status", default="READY") or "READY",
        status_message=v.string("status_message"), user_id=v.string("user_id", default="") or "",
        tags=v.key_values("tags"),
    )  # fmt: skip


async def finish(request: Request) -> Response:
    await run_in_threadpool(imports.finish_import, db_of(request))
    return empty_response()


ROUTES = [
    (PREFIX + "/experiments", ["POST"], import_experiment),
    (PREFIX + "/runs/begin", ["POST"], begin_run),
    (PREFIX + "/runs/metrics", ["POST"], import_metric_points),
    (PREFIX + "/runs/complete", ["POST"], complete_run),
    (PREFIX + "/logged-models/begin", ["POST"], begin_logged_model),
    (PREFIX + "/logged-models/complete", ["POST"], complete_logged_model),
    (PREFIX + "/registered-models", ["POST"], import_model),
    (PREFIX + "/finish", ["POST"], finish),
]


def routes() -> list[Route]:
    return [Route(path, handler, methods=methods) for path, methods, handler in ROUTES]
