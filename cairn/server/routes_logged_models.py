"""MLflow 3 logged models: /mlflow/logged-models (create, get, finalize, delete, search, tags,
params, artifact directory listing)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import InvalidParameter
from cairn.tracking import logged_models

from .decoders import request_fields
from .encoders import logged_model_to_wire
from .fields import missing
from .routes_artifacts import list_under
from .state import db_of
from .wire import empty_response, wire_json

STATUSES = ("LOGGED_MODEL_STATUS_UNSPECIFIED", *logged_models.STATUSES)
DEFAULT_MAX_MODELS = 50
BASE = "/mlflow/logged-models"


async def create_logged_model(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    name = f.string("name") or None
    model_type = f.string("model_type") or None
    source_run_id = f.string("source_run_id") or None
    params = f.key_values("params")
    tags = f.key_values("tags")
    model = await run_in_threadpool(
        logged_models.create_logged_model, db_of(request), experiment_id, name, source_run_id, tags, params, model_type
    )
    return wire_json({"model": logged_model_to_wire(model)})


async def get_logged_model(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    f = await request_fields(request)
    allow_deleted = f.boolean("allow_deleted")
    model = await run_in_threadpool(logged_models.get_logged_model, db_of(request), model_id, allow_deleted)
    return wire_json({"model": logged_model_to_wire(model)})


async def finalize_logged_model(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    f = await request_fields(request)
    status = f.enum("status", STATUSES, first_number=0)
    if status is None:
        raise missing("status")
    model = await run_in_threadpool(logged_models.finalize_logged_model, db_of(request), model_id, status)
    return wire_json({"model": logged_model_to_wire(model)})


async def delete_logged_model(request: Request) -> Response:
    await run_in_threadpool(logged_models.delete_logged_model, db_of(request), request.path_params["model_id"])
    return empty_response()


async def search_logged_models(request: Request) -> Response:
    f = await request_fields(request)
    experiment_ids = f.strings("experiment_ids")
    filter_string = f.string("filter") or None
    datasets = [(d.string("dataset_name") or "", d.string("dataset_digest") or None) for d in f.messages("datasets")]
    max_results = f.int32("max_results", default=DEFAULT_MAX_MODELS)
    page_token = f.string("page_token") or None
    order_by = []
    for item in f.messages("order_by"):
        if item.string("dataset_name") or item.string("dataset_digest"):
            raise InvalidParameter("Ordering logged models by a dataset's metric is not supported by this server yet.")
        order_by.append((item.required_string("field_name"), item.boolean("ascending", default=True)))
    page = await run_in_threadpool(
        logged_models.search_logged_models, db_of(request), experiment_ids, filter_string, order_by,
        max_results, page_token, datasets,
    )  # fmt: skip
    payload: dict[str, object] = {}
    if page.items:
        payload["models"] = [logged_model_to_wire(m) for m in page.items]
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return wire_json(payload)


async def set_logged_model_tags(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    f = await request_fields(request)
    tags = f.key_values("tags")
    model = await run_in_threadpool(logged_models.set_logged_model_tags, db_of(request), model_id, tags)
    return wire_json({"model": logged_model_to_wire(model)})


async def delete_logged_model_tag(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    key = request.path_params["tag_key"]
    await run_in_threadpool(logged_models.delete_logged_model_tag, db_of(request), model_id, key)
    return empty_response()


async def log_logged_model_params(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    f = await request_fields(request)
    params = f.key_values("params")
    await run_in_threadpool(logged_models.log_logged_model_params, db_of(request), model_id, params)
    return empty_response()


async def list_logged_model_artifacts(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    f = await request_fields(request)
    path = f.string("artifact_directory_path") or ""
    model = await run_in_threadpool(logged_models.get_logged_model, db_of(request), model_id)
    files = await list_under(request, model.artifact_location, path)
    payload: dict[str, object] = {"root_uri": model.artifact_location}
    if files:
        payload["files"] = files
    return wire_json(payload)


ROUTES = [
    (BASE, ["POST"], create_logged_model),
    (BASE + "/search", ["POST"], search_logged_models),
    (BASE + "/{model_id}", ["GET"], get_logged_model),
    (BASE + "/{model_id}", ["PATCH"], finalize_logged_model),
    (BASE + "/{model_id}", ["DELETE"], delete_logged_model),
    (BASE + "/{model_id}/tags", ["PATCH"], set_logged_model_tags),
    (BASE + "/{model_id}/tags/{tag_key:path}", ["DELETE"], delete_logged_model_tag),
    (BASE + "/{model_id}/params", ["POST"], log_logged_model_params),
    (BASE + "/{model_id}/artifacts/directories", ["GET"], list_logged_model_artifacts),
]
