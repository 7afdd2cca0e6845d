"""Experiments: /mlflow/experiments/... (create, get, get-by-name, search, update, delete,
restore, set-experiment-tag, delete-experiment-tag)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import ViewType
from cairn.errors import NotFound
from cairn.tracking import experiments

from .auth_context import EXPERIMENT, readable_keys
from .decoders import request_fields
from .encoders import experiment_to_wire
from .state import db_of
from .wire import empty_response, wire_json

VIEW_TYPES = tuple(v.value for v in ViewType)
DEFAULT_MAX_EXPERIMENTS = 1000


async def create_experiment(request: Request) -> Response:
    f = await request_fields(request)
    name = f.required_string("name")
    location = f.string("artifact_location") or None
    tags = f.key_values("tags")
    experiment_id = await run_in_threadpool(experiments.create_experiment, db_of(request), name, location, tags)
    return wire_json({"experiment_id": experiment_id})


async def get_experiment(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    found = await run_in_threadpool(experiments.get_experiment, db_of(request), experiment_id)
    return wire_json({"experiment": experiment_to_wire(found)})


async def get_experiment_by_name(request: Request) -> Response:
    f = await request_fields(request)
    name = f.required_string("experiment_name")
    found = await run_in_threadpool(experiments.get_experiment_by_name, db_of(request), name)
    if found is None:
        raise NotFound(f"Could not find experiment with name '{name}'.")
    return wire_json({"experiment": experiment_to_wire(found)})


async def search_experiments(request: Request) -> Response:
    f = await request_fields(request)
    view_type = f.enum("view_type", VIEW_TYPES, default=ViewType.ACTIVE_ONLY.value)
    max_results = f.int64("max_results", default=DEFAULT_MAX_EXPERIMENTS)
    page_token = f.string("page_token") or None
    filter_string = f.string("filter") or None
    order_by = f.strings("order_by")
    visible = await run_in_threadpool(readable_keys, request, EXPERIMENT)
    page = await run_in_threadpool(
        lambda: experiments.search_experiments(
            db_of(request), ViewType(view_type), max_results=max_results, page_token=page_token,
            filter_string=filter_string, order_by=order_by, visible=visible,
        )
    )
    payload: dict[str, object] = {}
    if page.items:
        payload["experiments"] = [experiment_to_wire(e) for e in page.items]
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return wire_json(payload)


async def update_experiment(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    new_name = f.required_string("new_name")
    await run_in_threadpool(experiments.rename_experiment, db_of(request), experiment_id, new_name)
    return empty_response()


async def delete_experiment(request: Request) -> Response:
    f = await request_fields(request)
    await run_in_threadpool(experiments.delete_experiment, db_of(request), f.required_string("experiment_id"))
    return empty_response()


async def restore_experiment(request: Request) -> Response:
    f = await request_fields(request)
    await run_in_threadpool(experiments.restore_experiment, db_of(request), f.required_string("experiment_id"))
    return empty_response()


async def set_experiment_tag(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    key = f.required_string("key")
    value = f.string("value", default="")
    await run_in_threadpool(experiments.set_experiment_tag, db_of(request), experiment_id, key, value)
    return empty_response()


async def delete_experiment_tag(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    key = f.required_string("key")
    await run_in_threadpool(experiments.delete_experiment_tag, db_of(request), experiment_id, key)
    return empty_response()


ROUTES = [
    ("/mlflow/experiments/create", ["POST"], create_experiment),
    ("/mlflow/experiments/get", ["GET"], get_experiment),
    ("/mlflow/experiments/get-by-name", ["GET"], get_experiment_by_name),
    ("/mlflow/experiments/search", ["GET", "POST"], search_experiments),
    ("/mlflow/experiments/update", ["POST"], update_experiment),
    ("/mlflow/experiments/delete", ["POST"], delete_experiment),
    ("/mlflow/experiments/restore", ["POST"], restore_experiment),
    ("/mlflow/experiments/set-experiment-tag", ["POST"], set_experiment_tag),
    ("/mlflow/experiments/delete-experiment-tag", ["POST"], delete_experiment_tag),
]
