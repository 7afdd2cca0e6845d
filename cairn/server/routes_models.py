"""Registered models: /mlflow/registered-models/... (create, rename, update, delete, get, search,
get-latest-versions, set-tag, delete-tag, and aliases: set, delete, get a version by alias).

Writes also take an optional ``reason`` (a field MLflow does not have) for the audit trail.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn import registry
from cairn.registry.search import search_registered_models_by_filter
from cairn.entities import ModelVersion
from cairn.errors import InvalidParameter, NotFound
from cairn.store.database import Database

from .auth_context import REGISTERED_MODEL, readable_keys
from .decoders import request_fields
from .registry_wire import (
    actor_of,
    announce,
    model_version_to_wire,
    model_versions_payload,
    registered_model_to_wire,
    version_of,
)
from .state import db_of
from .wire import empty_response, wire_json

BASE = "/mlflow/registered-models"
DEFAULT_MAX_MODELS = 100


async def create_registered_model(request: Request) -> Response:
    f = await request_fields(request)
    name = f.string("name", default="")
    tags = f.key_values("tags")
    description = f.string("description")
    model = await run_in_threadpool(
        registry.create_registered_model, db_of(request), name, actor_of(request), description, tags
    )
    announce(request)
    return wire_json({"registered_model": registered_model_to_wire(model)})


async def rename_registered_model(request: Request) -> Response:
    f = await request_fields(request)
    name, new_name = f.string("name", default=""), f.string("new_name", default="")
    model = await run_in_threadpool(registry.rename_registered_model, db_of(request), name, new_name,
                                    actor_of(request))
    return wire_json({"registered_model": registered_model_to_wire(model)})


async def update_registered_model(request: Request) -> Response:
    f = await request_fields(request)
    name, description = f.string("name", default=""), f.string("description")
    model = await run_in_threadpool(registry.update_registered_model, db_of(request), name, description,
                                    actor_of(request))
    return wire_json({"registered_model": registered_model_to_wire(model)})


async def delete_registered_model(request: Request) -> Response:
    f = await request_fields(request)
    name, reason = f.string("name", default=""), f.string("reason")
    await run_in_threadpool(registry.delete_registered_model, db_of(request), name, actor_of(request), reason)
    announce(request)
    return empty_response()


async def get_registered_model(request: Request) -> Response:
    f = await request_fields(request)
    model = await run_in_threadpool(registry.get_registered_model, db_of(request), f.string("name", default=""))
    return wire_json({"registered_model": registered_model_to_wire(model)})


async def search_registered_models(request: Request) -> Response:
    f = await request_fields(request)
    max_results = f.int64("max_results", default=DEFAULT_MAX_MODELS)
    page_token = f.string("page_token") or None
    visible = await run_in_threadpool(readable_keys, request, REGISTERED_MODEL)
    page = await run_in_threadpool(
        search_registered_models_by_filter, db_of(request), f.string("filter"), f.strings("order_by"),
        max_results, page_token, visible,
    )
    payload: dict[str, object] = {}
    if page.items:
        payload["registered_models"] = [registered_model_to_wire(m) for m in page.items]
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return wire_json(payload)


async def get_latest_versions(request: Request) -> Response:
    f = await request_fields(request)
    name, stages = f.string("name", default=""), f.strings("stages")
    found = await run_in_threadpool(registry.get_latest_versions, db_of(request), name, stages or None)
    return wire_json(model_versions_payload(found))


async def set_registered_model_tag(request: Request) -> Response:
    f = await request_fields(request)
    name, key, value = f.string("name", default=""), f.string("key", default=""), f.string("value", default="")
    await run_in_threadpool(registry.set_registered_model_tag, db_of(request), name, key, value, actor_of(request))
    return empty_response()


async def delete_registered_model_tag(request: Request) -> Response:
    f = await request_fields(request)
    name, key = f.string("name", default=""), f.string("key", default="")
    await run_in_threadpool(registry.delete_registered_model_tag, db_of(request), name, key, actor_of(request))
    return empty_response()


async def set_alias(request: Request) -> Response:
    f = await request_fields(request)
    name, alias = f.string("name", default=""), f.string("alias", default="")
    version, reason = version_of(f), f.string("reason")
    await run_in_threadpool(registry.set_alias, db_of(request), name, alias, version, actor_of(request), reason)
    announce(request)
    return empty_response()


async def delete_alias(request: Request) -> Response:
    f = await request_fields(request)
    name, alias, reason = f.string("name", default=""), f.string("alias", default=""), f.string("reason")
    # MLflow deletes an alias that is not set without complaint; a missing model is still 404.
    await run_in_threadpool(lambda: registry.delete_alias(db_of(request), name, alias, actor_of(request), reason,
                                                          missing_ok=True))
    announce(request)
    return empty_response()


async def get_version_by_alias(request: Request) -> Response:
    f = await request_fields(request)
    name, alias = f.string("name", default=""), f.string("alias", default="")
    version = await run_in_threadpool(_version_by_alias, db_of(request), name, alias)
    return wire_json({"model_version": model_version_to_wire(version)})


# MLflow quirks the mlflow client depends on ---------------------------------------------------

def _version_by_alias(db: Database, name: str, alias_name: str) -> ModelVersion:
    # MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE, not 404; clients that
    # probe for an alias catch that code.
    try:
        return registry.get_version_by_alias(db, name, alias_name)
    except NotFound as exc:
        registry.get_registered_model(db, name)
        raise InvalidParameter(exc.message) from None


ROUTES = [
    (BASE + "/create", ["POST"], create_registered_model),
    (BASE + "/rename", ["POST"], rename_registered_model),
    (BASE + "/update", ["PATCH"], update_registered_model),
    (BASE + "/delete", ["DELETE"], delete_registered_model),
    (BASE + "/get", ["GET"], get_registered_model),
    (BASE + "/search", ["GET"], search_registered_models),
    (BASE + "/get-latest-versions", ["GET", "POST"], get_latest_versions),
    (BASE + "/set-tag", ["POST"], set_registered_model_tag),
    (BASE + "/delete-tag", ["DELETE"], delete_registered_model_tag),
    (BASE + "/alias", ["POST"], set_alias),
    (BASE + "/alias", ["DELETE"], delete_alias),
    (BASE + "/alias", ["GET"], get_version_by_alias),
]
