"""Runs: /mlflow/runs/... (create, get, update, delete, restore, search, log-metric,
log-parameter, set-tag, delete-tag, log-batch, log-inputs, outputs)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import Metric, Param, RunStatus, RunTag, ViewType
from cairn.tracking import logged_models, run_data, runs
from cairn.tracking.logged_models import ModelLink, ModelMetric

from . import small_writes
from .auth_context import principal_of
from .decoders import decode_dataset_inputs, decode_metrics, request_fields, run_id_of
from .encoders import run_info_to_wire, run_to_wire
from .state import db_of
from .wire import empty_response, wire_json

RUN_STATUSES = tuple(s.value for s in RunStatus)
VIEW_TYPES = tuple(v.value for v in ViewType)
DEFAULT_MAX_RUNS = 1000


async def create_run(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    principal = principal_of(request)
    # With --auth the run belongs to whoever signed in, whatever name the client states.
    user_id = principal.username if principal is not None else f.string("user_id", default="") or ""
    start_time = f.int64("start_time")
    run_name = f.string("run_name") or None
    tags = f.key_values("tags")
    db = db_of(request)
    run = await small_writes.write(db, 1 + len(tags), runs.create_run, db, experiment_id, user_id, start_time, tags,
                                   run_name)
    return wire_json({"run": run_to_wire(run)})


async def get_run(request: Request) -> Response:
    f = await request_fields(request)
    run_id = run_id_of(f)
    db = db_of(request)

    def load():  # type: ignore[no-untyped-def]
        run = runs.get_run(db, run_id)
        return run, logged_models.run_model_links(db, [run_id]).get(run_id, [])

    run, links = await run_in_threadpool(load)
    return wire_json({"run": run_to_wire(run, links)})


async def update_run(request: Request) -> Response:
    f = await request_fields(request)
    run_id = run_id_of(f)
    status = f.enum("status", RUN_STATUSES)
    end_time = f.int64("end_time")
    run_name = f.string("run_name") or None
    db = db_of(request)
    info = await small_writes.write(db, 1, runs.update_run, db, run_id, status, end_time, run_name)
    return wire_json({"run_info": run_info_to_wire(info)})


async def delete_run(request: Request) -> Response:
    f = await request_fields(request)
    await run_in_threadpool(runs.delete_run, db_of(request), run_id_of(f))
    return empty_response()


async def restore_run(request: Request) -> Response:
    f = await request_fields(request)
    await run_in_threadpool(runs.restore_run, db_of(request), run_id_of(f))
    return empty_response()


async def search_runs(request: Request) -> Response:
    f = await request_fields(request)
    experiment_ids = f.strings("experiment_ids")
    filter_string = f.string("filter") or None
    view_type = ViewType(f.enum("run_view_type", VIEW_TYPES, default=ViewType.ACTIVE_ONLY.value))
    max_results = f.int32("max_results", default=DEFAULT_MAX_RUNS)
    order_by = f.strings("order_by")
    page_token = f.string("page_token") or None
    db = db_of(request)

    def search():  # type: ignore[no-untyped-def]
        page = runs.search_runs(db, experiment_ids, filter_string, view_type, max_results, order_by, page_token)
        links = logged_models.run_model_links(db, [r.run_id for r in page.items]) if page.items else {}
        return page, links

    page, links = await run_in_threadpool(search)
    payload: dict[str, object] = {}
    if page.items:
        payload["runs"] = [run_to_wire(r, links.get(r.run_id, ())) for r in page.items]
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return wire_json(payload)


async def log_metric(request: Request) -> Response:
    f = await request_fields(request)
    run_id = run_id_of(f)
    key = f.required_string("key")
    value = f.double("value", required=True)
    timestamp = f.int64("timestamp", required=True)
    step = f.int64("step", default=0)
    model_id = f.string("model_id") or None
    assert value is not None and timestamp is not None and step is not None
    db = db_of(request)
    if model_id is None:
        await small_writes.write(db, 1, run_data.log_metric, db, run_id, Metric(key, value, timestamp, step))
    else:
        linked = ModelMetric(
            key, value, timestamp, step, model_id,
            dataset_name=f.string("dataset_name") or None, dataset_digest=f.string("dataset_digest") or None,
        )  # fmt: skip
        await run_in_threadpool(logged_models.log_batch_with_models, db, run_id, [], [linked])
    return empty_response()


async def log_param(request: Request) -> Response:
    f = await request_fields(request)
    run_id = run_id_of(f)
    param = Param(f.required_string("key"), f.string("value", default="") or "")
    db = db_of(request)
    await small_writes.write(db, 1, run_data.log_param, db, run_id, param)
    return empty_response()


async def set_tag(request: Request) -> Response:
    f = await request_fields(request)
    run_id = run_id_of(f)
    tag = RunTag(f.required_string("key"), f.string("value", default="") or "")
    db = db_of(request)
    await small_writes.write(db, 1, run_data.set_tag, db, run_id, tag)
    return empty_response()


async def delete_tag(request: Request) -> Response:
    f = await request_fields(request)
    run_id = f.required_string("run_id")
    key = f.required_string("key")
    db = db_of(request)
    await small_writes.write(db, 1, run_data.delete_tag, db, run_id, key)
    return empty_response()


async def log_batch(request: Request) -> Response:
    f = await request_fields(request)
    run_id = f.required_string("run_id")
    metrics, linked = decode_metrics(f)
    params = [Param(k, v) for k, v in f.key_value_pairs("params")]
    tags = [RunTag(k, v) for k, v in f.key_values("tags").items()]
    db = db_of(request)
    if linked:
        await run_in_threadpool(logged_models.log_batch_with_models, db, run_id, metrics, linked, params, tags)
    else:
        items = len(metrics) + len(params) + len(tags)
        await small_writes.write(db, items, run_data.log_batch, db, run_id, metrics, params, tags)
    return empty_response()


async def log_inputs(request: Request) -> Response:
    f = await request_fields(request)
    run_id = f.required_string("run_id")
    inputs = decode_dataset_inputs(f)
    models = [ModelLink(m.required_string("model_id"), "input") for m in f.messages("models")]
    db = db_of(request)
    if inputs or not models:
        await run_in_threadpool(run_data.log_inputs, db, run_id, inputs)
    if models:
        await run_in_threadpool(logged_models.link_models, db, run_id, models)
    return empty_response()


async def log_outputs(request: Request) -> Response:
    f = await request_fields(request)
    run_id = f.required_string("run_id")
    models = [
        ModelLink(m.required_string("model_id"), "output", m.int64("step", default=0) or 0)
        for m in f.messages("models")
    ]
    await run_in_threadpool(logged_models.link_models, db_of(request), run_id, models)
    return empty_response()


ROUTES = [
    ("/mlflow/runs/create", ["POST"], create_run),
    ("/mlflow/runs/get", ["GET"], get_run),
    ("/mlflow/runs/update", ["POST"], update_run),
    ("/mlflow/runs/delete", ["POST"], delete_run),
    ("/mlflow/runs/restore", ["POST"], restore_run),
    ("/mlflow/runs/search", ["POST"], search_runs),
    ("/mlflow/runs/log-metric", ["POST"], log_metric),
    ("/mlflow/runs/log-parameter", ["POST"], log_param),
    ("/mlflow/runs/set-tag", ["POST"], set_tag),
    ("/mlflow/runs/delete-tag", ["POST"], delete_tag),
    ("/mlflow/runs/log-batch", ["POST"], log_batch),
    ("/mlflow/runs/log-inputs", ["POST"], log_inputs),
    ("/mlflow/runs/outputs", ["POST"], log_outputs),
]
