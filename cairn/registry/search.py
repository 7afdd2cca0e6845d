"""Registry searches with MLflow's filter and order_by strings, shared by the server's MLflow
routes and any other caller (the grammar is in ``search_filters``).

The store pages by model name or run id in any order; other conditions (IN, LIKE, tags,
source_path) are matched over the models or versions those allow, then ordered and paged here.
``visible`` (model keys the caller may read; None: all) is applied in the store's query, before
any paging.

Orders are MLflow's: versions come newest first (``last_updated_timestamp DESC``), and every
order ends with ``name ASC`` then ``version_number DESC`` unless it names them itself; models
come by name, which also breaks ties. ``timestamp`` is ``last_updated_timestamp``; naming one
field twice is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from cairn.entities import ModelVersion, PagedList, RegisteredModel
from cairn.errors import InvalidParameter
from cairn.store.database import Database
from cairn.store.page_tokens import decode_token, encode_token
from cairn.tracking.validation import validate_max_results

from .models import MAX_MODELS_PER_PAGE, search_registered_models
from .search_filters import Condition, matches, parse_registry_filter, parse_registry_order_by, tag_value
from .versions import MAX_VERSIONS_PER_PAGE, search_model_versions

_MODEL_FILTER_ATTRIBUTES = frozenset({"name"})
_MODEL_ORDER_KEYS = frozenset({"name", "creation_timestamp", "last_updated_timestamp", "timestamp"})
_MODEL_FILTER_EXAMPLE = "name LIKE 'churn%' AND tags.team = 'vision'"
_MODEL_FILTERED_TOKEN = "registered-models-filtered"
_VERSION_FILTER_ATTRIBUTES = frozenset({"name", "run_id", "source_path", "version_number"})
_VERSION_NUMERIC_ATTRIBUTES = frozenset({"version_number"})
_VERSION_ORDER_KEYS = frozenset({"name", "version_number", "creation_timestamp", "last_updated_timestamp", "timestamp"})
_VERSION_FILTER_EXAMPLE = "name = 'churn' AND run_id IN ('a1b2...', 'c3d4...') AND tags.team = 'vision'"
_VERSION_FILTERED_TOKEN = "model-versions-filtered"
_SAME_FIELD = {"timestamp": "last_updated_timestamp"}
_VERSION_DEFAULT_ORDER = (("last_updated_timestamp", False),)
_VERSION_TIE_BREAKS = (("name", True), ("version_number", False))
_MODEL_TIE_BREAKS = (("name", True),)


def search_registered_models_by_filter(
    db: Database, filter_string: str | None, order_by: Sequence[str], max_results: int, page_token: str | None,
    visible: Collection[str] | None = None,
) -> PagedList:
    """A page of models matching MLflow's registry filter and order. Without a filter or order the domain pages in the database; otherwise
    every model a name condition allows (the domain's LIKE ignores case, so it finds a superset)
    is matched against MLflow's exact semantics here, ordered, then paged."""
    conditions = parse_registry_filter(filter_string, _MODEL_FILTER_ATTRIBUTES, frozenset(), "registered models",
                                       _MODEL_FILTER_EXAMPLE)
    order = parse_registry_order_by(order_by, _MODEL_ORDER_KEYS, "registered models")
    like = next((str(c.value) for c in conditions if c.field == "name" and c.op in ("=", "LIKE")), None)
    order = _full_order(order, (), _MODEL_TIE_BREAKS)
    if not conditions and order == list(_MODEL_TIE_BREAKS):
        return search_registered_models(db, None, max_results, page_token, visible)
    limit = validate_max_results(max_results, MAX_MODELS_PER_PAGE)
    offset = decode_token(_MODEL_FILTERED_TOKEN, page_token)
    found: list[RegisteredModel] = []
    token: str | None = None
    while True:
        page = search_registered_models(db, like, MAX_MODELS_PER_PAGE, token, visible)
        found += [m for m in page.items if matches(conditions, lambda c, m=m: _model_field(m, c))]
        token = page.next_page_token
        if not token:
            break
    for key, ascending in reversed(order):
        found.sort(key=lambda m: _model_sort_key(m, key), reverse=not ascending)
    more = len(found) > offset + limit
    return PagedList(found[offset:offset + limit], encode_token(_MODEL_FILTERED_TOKEN, offset + limit) if more else None)


def _model_field(model: RegisteredModel, c: Condition) -> str | None:
    return model.name if c.field == "name" else tag_value(model.tags, c.key)


def _model_sort_key(model: RegisteredModel, key: str) -> str | int:
    if key == "name":
        return model.name
    return model.creation_timestamp if key == "creation_timestamp" else model.last_updated_timestamp


def search_model_versions_by_filter(
    db: Database, filter_string: str | None, order_by: Sequence[str], max_results: int, page_token: str | None,
    visible: Collection[str] | None = None,
) -> PagedList:
    """A page of versions matching MLflow's registry filter and order. ``name =`` and ``run_id =`` page in the database; anything else (IN,
    LIKE, tags, source_path, an order) is matched over the versions those allow, then paged here."""
    conditions = parse_registry_filter(filter_string, _VERSION_FILTER_ATTRIBUTES, _VERSION_NUMERIC_ATTRIBUTES,
                                       "model versions", _VERSION_FILTER_EXAMPLE)
    order = _full_order(parse_registry_order_by(order_by, _VERSION_ORDER_KEYS, "model versions"),
                        _VERSION_DEFAULT_ORDER, _VERSION_TIE_BREAKS)
    name = next((str(c.value) for c in conditions if c.field == "name" and c.op == "="), None)
    run_id = next((str(c.value) for c in conditions if c.field == "run_id" and c.op == "="), None)
    simple = all(c.op == "=" and c.field in ("name", "run_id") for c in conditions)
    if simple and len(conditions) == len({c.field for c in conditions}):
        return search_model_versions(db, name, run_id, max_results, page_token, visible, order=order)
    limit = validate_max_results(max_results, MAX_VERSIONS_PER_PAGE)
    offset = decode_token(_VERSION_FILTERED_TOKEN, page_token)
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = search_model_versions(db, name, run_id, MAX_VERSIONS_PER_PAGE, token, visible)
        found += [v for v in page.items if matches(conditions, lambda c, v=v: _version_field(v, c))]
        token = page.next_page_token
        if not token:
            break
    for key, ascending in reversed(order):
        found.sort(key=lambda v: _version_sort_key(v, key), reverse=not ascending)
    more = len(found) > offset + limit
    return PagedList(found[offset:offset + limit], encode_token(_VERSION_FILTERED_TOKEN, offset + limit) if more else None)


def _full_order(given: list[tuple[str, bool]], default: Sequence[tuple[str, bool]],
                tie_breaks: Sequence[tuple[str, bool]]) -> list[tuple[str, bool]]:
    order: list[tuple[str, bool]] = []
    for key, ascending in given or default:
        field = _SAME_FIELD.get(key, key)
        if any(field == seen for seen, _ in order):
            raise InvalidParameter(f"order_by names {field} more than once; give each field once.")
        order.append((field, ascending))
    return order + [(key, ascending) for key, ascending in tie_breaks if all(key != seen for seen, _ in order)]


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
