"""Model versions: /mlflow/model-versions/... (create, update, delete, get, search,
get-download-uri, transition-stage, set-tag, delete-tag).

A transition made here goes through the same policy gates, sign-off and audit trail as
``cairn models promote``; promoting to Production always archives the previous Production
version, whatever ``archive_existing_versions`` says (Cairn keeps one Production version per
model). When the policy wants a sign-off, the version comes back in its current stage and the
pending request waits for ``cairn models approve``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn import registry
from cairn.registry.search import search_model_versions_by_filter

from .auth_context import REGISTERED_MODEL, readable_keys
from .decoders import request_fields
from .registry_wire import (
    actor_of,
    announce,
    model_files_of,
    model_version_to_wire,
    model_versions_payload,
    version_of,
)
from .state import db_of
from .wire import empty_response, wire_json

BASE = "/mlflow/model-versions"
DEFAULT_MAX_VERSIONS = 10_000  # the mlflow client's default page


async def create_model_version(request: Request) -> Response:
    f = await request_fields(request)
    name, source = f.string("name", default=""), f.string("source", default="")
    run_id = f.string("run_id") or None
    tags = f.key_values("tags")
    run_link = f.string("run_link") or None
    description = f.string("description")
    model_id = f.string("model_id") or None
    version = await run_in_threadpool(
        registry.create_model_version, db_of(request), name, source, actor_of(request), run_id, description, tags,
        run_link, model_id,
    )  # fmt: skip
    announce(request)
    return wire_json({"model_version": model_version_to_wire(version)})


async def update_model_version(request: Request) -> Response:
    f = await request_fields(request)
    name, number, description = f.string("name", default=""), version_of(f), f.string("description")
    version = await run_in_threadpool(registry.update_model_version, db_of(request), name, number, description,
                                      actor_of(request))
    return wire_json({"model_version": model_version_to_wire(version)})


async def delete_model_version(request: Request) -> Response:
    f = await request_fields(request)
    name, number, reason = f.string("name", default=""), version_of(f), f.string("reason")
    await run_in_threadpool(registry.delete_model_version, db_of(request), name, number, actor_of(request), reason)
    announce(request)
    return empty_response()


async def get_model_version(request: Request) -> Response:
    f = await request_fields(request)
    name, number = f.string("name", default=""), version_of(f)
    version = await run_in_threadpool(registry.get_model_version, db_of(request), name, number)
    return wire_json({"model_version": model_version_to_wire(version)})


async def search_model_versions(request: Request) -> Response:
    f = await request_fields(request)
    max_results = f.int64("max_results", default=DEFAULT_MAX_VERSIONS)
    page_token = f.string("page_token") or None
    visible = await run_in_threadpool(readable_keys, request, REGISTERED_MODEL)
    page = await run_in_threadpool(
        search_model_versions_by_filter, db_of(request), f.string("filter"), f.strings("order_by"),
        max_results, page_token, visible,
    )
    return wire_json(model_versions_payload(page.items, page.next_page_token))


async def get_download_uri(request: Request) -> Response:
    f = await request_fields(request)
    name, number = f.string("name", default=""), version_of(f)
    uri = await run_in_threadpool(registry.get_model_version_download_uri, db_of(request), name, number)
    return wire_json({"artifact_uri": uri})


async def transition_stage(request: Request) -> Response:
    f = await request_fields(request)
    name, number, stage = f.string("name", default=""), version_of(f), f.string("stage", default="")
    archive, reason = f.boolean("archive_existing_versions"), f.string("reason")
    outcome = await run_in_threadpool(
        lambda: registry.promote(db_of(request), name, number, stage, actor_of(request), reason=reason,
                                 archive_existing_versions=archive, model_files=model_files_of(request))
    )
    announce(request)
    return wire_json({"model_version": model_version_to_wire(outcome.model_version)})


async def set_model_version_tag(request: Request) -> Response:
    f = await request_fields(request)
    name, number = f.string("name", default=""), version_of(f)
    key, value = f.string("key", default=""), f.string("value", default="")
    await run_in_threadpool(registry.set_model_version_tag, db_of(request), name, number, key, value,
                            actor_of(request))
    announce(request)
    return empty_response()


async def delete_model_version_tag(request: Request) -> Response:
    f = await request_fields(request)
    name, number, key = f.string("name", default=""), version_of(f), f.string("key", default="")
    await run_in_threadpool(registry.delete_model_version_tag, db_of(request), name, number, key, actor_of(request))
    announce(request)
    return empty_response()


ROUTES = [
    (BASE + "/create", ["POST"], create_model_version),
    (BASE + "/update", ["PATCH"], update_model_version),
    (BASE + "/delete", ["DELETE"], delete_model_version),
    (BASE + "/get", ["GET"], get_model_version),
    (BASE + "/search", ["GET"], search_model_versions),
    (BASE + "/get-download-uri", ["GET"], get_download_uri),
    (BASE + "/transition-stage", ["POST"], transition_stage),
    (BASE + "/set-tag", ["POST"], set_model_version_tag),
    (BASE + "/delete-tag", ["DELETE"], delete_model_version_tag),
]
