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
from cairn.entities import ModelVersion, PagedList
from cairn.registry.versions import MAX_VERSIONS_PER_PAGE
from cairn.store.database import Database
from cairn.store.page_tokens import decode_token, encode_token
from cairn.tracking.validation import validate_max_results

from .decoders import request_fields
from .registry_wire import (
    Condition,
    actor_of,
    announce,
    matches,
    model_files_of,
    model_version_to_wire,
    model_versions_payload,
    parse_registry_filter,
    parse_registry_order_by,
    tag_value,
    version_of,
)
from .state import db_of
from .wire import empty_response, wire_json

BASE = "/mlflow/model-versions"
DEFAULT_MAX_VERSIONS = 10_000  # the mlflow client's default page
FILTER_ATTRIBUTES = frozenset({"name", "run_id", "source_path", "version_number"})
NUMERIC_ATTRIBUTES = frozenset({"version_number"})
ORDER_KEYS = frozenset({"name", "version_number", "creation_timestamp", "last_updated_timestamp", "timestamp"})
FILTER_EXAMPLE = "name = 'churn' AND run_id IN ('a1b2...', 'c3d4...') AND tags.team = 'vision'"
_FILTERED_TOKEN = "model-versions-filtered"


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
    conditions = parse_registry_filter(f.string("filter"), FILTER_ATTRIBUTES, NUMERIC_ATTRIBUTES,
                                       "model versions", FILTER_EXAMPLE)
    order = parse_registry_order_by(f.strings("order_by"), ORDER_KEYS, "model versions")
    max_results = f.int64("max_results", default=DEFAULT_MAX_VERSIONS)
    page_token = f.string("page_token") or None
    page = await run_in_threadpool(_search_versions, db_of(request), conditions, order, max_results, page_token)
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


def _search_versions(db: Database, conditions: list[Condition], order: list[tuple[str, bool]], max_results: int,
                     page_token: str | None) -> PagedList:
    """A page of versions. ``name =`` and ``run_id =`` page in the database; anything else (IN,
    LIKE, tags, source_path, an order) is matched over the versions those allow, then paged here."""
    name = next((str(c.value) for c in conditions if c.field == "name" and c.op == "="), None)
    run_id = next((str(c.value) for c in conditions if c.field == "run_id" and c.op == "="), None)
    simple = all(c.op == "=" and c.field in ("name", "run_id") for c in conditions)
    if simple and len(conditions) == len({c.field for c in conditions}) and not order:
        return registry.search_model_versions(db, name, run_id, max_results, page_token)
    limit = validate_max_results(max_results, MAX_VERSIONS_PER_PAGE)
    offset = decode_token(_FILTERED_TOKEN, page_token)
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = registry.search_model_versions(db, name, run_id, MAX_VERSIONS_PER_PAGE, token)
        found += [v for v in page.items if matches(conditions, lambda c, v=v: _version_field(v, c))]
        token = page.next_page_token
        if not token:
            break
    for key, ascending in reversed(order):
        found.sort(key=lambda v: _version_sort_key(v, key), reverse=not ascending)
    more = len(found) > offset + limit
    return PagedList(found[offset:offset + limit], encode_token(_FILTERED_TOKEN, offset + limit) if more else None)


def _version_field(v: ModelVersion, c: Condition) -> str | int | None:
    if c.field == "tag":
        return tag_value(v.tags, c.key)
    if c.field == "version_number":
        return v.version
    if c.field == "source_path":
        return v.source
    return v.name if c.field == "name" else v.run_id


def _version_sort_key(v: ModelVersion, key: str) -> str | int:
    if key == "name":
        return v.name
    if key == "version_number":
        return v.version
    return v.creation_timestamp if key == "creation_timestamp" else v.last_updated_timestamp


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
