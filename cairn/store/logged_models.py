"""Logged-model rows (MLflow 3): models, their tags, params and metrics, and run links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, insert, or_, select, update

from cairn.entities import LifecycleStage, ViewType

from . import dialect
from .entity_filters import Condition, FilterSpec, KeyValueTable, OrderKey, where_clauses
from .schema import (
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_logged_models,
)

Tx = Connection

LOGGED_MODEL_SEARCH = FilterSpec(
    what="logged models",
    attributes=frozenset({
        "model_id", "name", "model_type", "status", "source_run_id",
        "creation_timestamp", "creation_time", "last_updated_timestamp", "last_updated_time",
    }),
    numeric_attributes=frozenset({
        "creation_timestamp", "creation_time", "last_updated_timestamp", "last_updated_time",
    }),
    entities=frozenset({"tag", "param", "metric"}),
    example="name = 'model' AND metrics.accuracy > 0.9",
)
_m = logged_models.c
_ATTRIBUTE_COLUMNS = {
    "model_id": _m.model_id, "name": _m.name, "model_type": _m.model_type, "status": _m.status,
    "source_run_id": _m.source_run_id,
    "creation_timestamp": _m.creation_timestamp_ms, "creation_time": _m.creation_timestamp_ms,
    "last_updated_timestamp": _m.last_updated_timestamp_ms, "last_updated_time": _m.last_updated_timestamp_ms,
}  # fmt: skip
_RELATED = {
    "tag": KeyValueTable(logged_model_tags, "model_id"),
    "param": KeyValueTable(logged_model_params, "model_id"),
    "metric": KeyValueTable(logged_model_metrics, "model_id"),
}


def insert_model(conn: Tx, row: Mapping[str, Any]) -> None:
    conn.execute(insert(logged_models).values(**row))


def get_model_row(conn: Tx, model_id: str) -> dict[str, Any] | None:
    found = conn.execute(select(logged_models).where(_m.model_id == model_id)).first()
    return dict(found._mapping) if found is not None else None


def find_run_model(conn: Tx, experiment_id: int, name: str, run_id: str) -> dict[str, Any] | None:
    """The active model named ``name`` that run ``run_id`` logged in its experiment, if any."""
    stmt = select(logged_models).where(
        _m.experiment_id == experiment_id, _m.name == name, _m.source_run_id == run_id,
        _m.lifecycle_stage == LifecycleStage.ACTIVE.value,
    ).order_by(_m.creation_timestamp_ms.desc(), _m.model_id).limit(1)
    found = conn.execute(stmt).first()
    return dict(found._mapping) if found is not None else None


def update_model(conn: Tx, model_id: str, **values: object) -> None:
    conn.execute(update(logged_models).where(_m.model_id == model_id).values(**values))


def upsert_tags(conn: Tx, model_id: str, tags: Mapping[str, str]) -> None:
    dialect.upsert(
        conn,
        logged_model_tags,
        [{"model_id": model_id, "key": k, "value": v} for k, v in tags.items()],
        key_columns=("model_id", "key"),
        update_columns=("value",),
    )


def delete_tag(conn: Tx, model_id: str, key: str) -> int:
    t = logged_model_tags.c
    return conn.execute(delete(logged_model_tags).where(t.model_id == model_id, t.key == key)).rowcount


def existing_params(conn: Tx, model_id: str, keys: Iterable[str]) -> dict[str, str]:
    p = logged_model_params.c
    key_list = list(keys)
    if not key_list:
        return {}
    rows = conn.execute(select(p.key, p.value).where(p.model_id == model_id, p.key.in_(key_list)))
    return {key: value for key, value in rows}


def insert_params(conn: Tx, model_id: str, params: Mapping[str, str]) -> None:
    if params:
        rows = [{"model_id": model_id, "key": k, "value": v} for k, v in params.items()]
        conn.execute(insert(logged_model_params), rows)


def insert_metrics(conn: Tx, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows with model_id, key, step, timestamp, value, is_nan, run_id, dataset_name, dataset_digest."""
    if rows:
        conn.execute(insert(logged_model_metrics), list(rows))


def existing_model_ids(conn: Tx, model_ids: Iterable[str]) -> set[str]:
    ids = list(set(model_ids))
    if not ids:
        return set()
    stmt = select(_m.model_id).where(_m.model_id.in_(ids), _m.lifecycle_stage == LifecycleStage.ACTIVE.value)
    return set(conn.execute(stmt).scalars())


def link_runs(conn: Tx, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows with run_id, model_id, direction ('input' or 'output') and step; the last step wins."""
    dialect.upsert(
        conn, run_logged_models, list(rows), key_columns=("run_id", "model_id", "direction"), update_columns=("step",)
    )


def run_links(conn: Tx, run_ids: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
    """(model_id, direction, step) per run, for a page of runs."""
    r = run_logged_models.c
    found: dict[str, list[tuple[str, str, int]]] = {}
    if not run_ids:
        return found
    stmt = select(r.run_id, r.model_id, r.direction, r.step).where(r.run_id.in_(list(run_ids))).order_by(r.model_id)
    for run_id, model_id, direction, step in conn.execute(stmt):
        found.setdefault(run_id, []).append((model_id, direction, step))
    return found


Details = tuple[dict[str, dict[str, str]], dict[str, dict[str, str]], dict[str, list[dict[str, Any]]]]


def load_details(conn: Tx, model_ids: Sequence[str]) -> Details:
    """Tags, params and metric rows per model id."""
    ids = list(model_ids)
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    metrics: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return tags, params, metrics
    t, p, mm = logged_model_tags.c, logged_model_params.c, logged_model_metrics.c
    for model_id, key, value in conn.execute(select(t.model_id, t.key, t.value).where(t.model_id.in_(ids))):
        tags[model_id][key] = value
    for model_id, key, value in conn.execute(select(p.model_id, p.key, p.value).where(p.model_id.in_(ids))):
        params[model_id][key] = value
    stmt = select(logged_model_metrics).where(mm.model_id.in_(ids)).order_by(mm.key, mm.step, mm.timestamp)
    for row in conn.execute(stmt):
        metrics[row.model_id].append(dict(row._mapping))
    return tags, params, metrics


def search_model_rows(
    conn: Tx,
    experiment_ids: Sequence[int],
    conditions: Sequence[Condition],
    order: Sequence[OrderKey],
    view_type: ViewType,
    limit: int,
    offset: int,
    datasets: Sequence[tuple[str, str | None]] = (),
) -> list[dict[str, Any]]:
    """One page of model rows; default order newest first, ties broken by model_id.

    ``datasets`` ((name, digest or None) pairs) keeps models with a metric logged on one of them,
    and makes metric conditions look only at those metrics, as MLflow does."""
    stmt = select(logged_models).where(_m.experiment_id.in_(list(experiment_ids)))
    if view_type is ViewType.ACTIVE_ONLY:
        stmt = stmt.where(_m.lifecycle_stage == LifecycleStage.ACTIVE.value)
    elif view_type is ViewType.DELETED_ONLY:
        stmt = stmt.where(_m.lifecycle_stage == LifecycleStage.DELETED.value)
    on_datasets = _on_datasets(datasets)
    if on_datasets is not None and not any(c.entity == "metric" for c in conditions):
        mm = logged_model_metrics.c
        stmt = stmt.where(exists().where(mm.model_id == _m.model_id, on_datasets))
    if conditions:
        narrowed = {"metric": on_datasets} if on_datasets is not None else None
        stmt = stmt.where(*where_clauses(conn, conditions, _ATTRIBUTE_COLUMNS, _m.model_id, _RELATED, narrowed))
    # A model without the attribute (no model_type, no source run) sorts last either way, on
    # SQLite and PostgreSQL alike (their defaults put NULLs at opposite ends).
    columns = [
        (_ATTRIBUTE_COLUMNS[k.key].asc() if k.ascending else _ATTRIBUTE_COLUMNS[k.key].desc()).nulls_last()
        for k in order
    ] or [_m.creation_timestamp_ms.desc()]
    stmt = stmt.order_by(*columns, _m.model_id.asc()).limit(limit).offset(offset)
    return [dict(row._mapping) for row in conn.execute(stmt)]



def _on_datasets(datasets: Sequence[tuple[str, str | None]]) -> ColumnElement[bool] | None:
    mm = logged_model_metrics.c
    tests = [and_(mm.dataset_name == name, *([mm.dataset_digest == digest] if digest is not None else []))
             for name, digest in datasets]
    return or_(*tests) if tests else None
