"""Registered model rows: identity and locking, tags, policies, version numbering, settings."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update

from cairn.entities import ModelStage, RegisteredModel

from . import dialect
from .database import insert_unique
from .registry_versions import load_versions
from .schema import (
    deployments,
    model_aliases,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
    registry_settings,
    transition_requests,
    version_evidence,
)

Tx = Connection


class ModelRef(NamedTuple):
    """The row a registry write works on: surrogate key, current name, stored policy (JSON)."""

    key: int
    name: str
    policy: str | None


def lock_model(conn: Tx, name: str) -> ModelRef | None:
    """The model named ``name``, its row locked until the transaction ends (PostgreSQL
    ``FOR UPDATE``; SQLite's write transaction already excludes other writers). Every write to a
    model's versions takes this lock first, which serializes numbering and stage changes."""
    rm = registered_models.c
    row = conn.execute(
        select(rm.registered_model_id, rm.name, rm.policy).where(rm.name == name).with_for_update()
    ).first()
    return ModelRef(row.registered_model_id, row.name, row.policy) if row is not None else None


def find_model(conn: Tx, name: str) -> ModelRef | None:
    rm = registered_models.c
    row = conn.execute(select(rm.registered_model_id, rm.name, rm.policy).where(rm.name == name)).first()
    return ModelRef(row.registered_model_id, row.name, row.policy) if row is not None else None


def insert_model(conn: Tx, name: str, description: str | None, now: int) -> ModelRef | None:
    """A new model; None when the name is taken (also by a concurrent transaction, on PostgreSQL)."""
    result = insert_unique(
        conn,
        insert(registered_models).values(
            name=name, creation_time=now, last_updated_time=now, description=description, last_version=0
        ),
    )
    return ModelRef(int(result.inserted_primary_key[0]), name, None) if result is not None else None


def rename_model(conn: Tx, key: int, name: str, now: int) -> bool:
    """False when another model has the name."""
    rm = registered_models.c
    stmt = update(registered_models).where(rm.registered_model_id == key).values(name=name, last_updated_time=now)
    return insert_unique(conn, stmt) is not None


def ensure_model(conn: Tx, name: str, now: int) -> tuple[ModelRef, bool]:
    """The locked model ``name``, created if missing; the flag says whether it was created.

    Two transactions creating the same name at once (PostgreSQL) meet on the unique name: the
    loser's insert fails inside a savepoint and it locks the winner's row instead.
    """
    found = lock_model(conn, name)
    if found is not None:
        return found, False
    created = insert_model(conn, name, None, now)
    if created is not None:
        return created, True
    found = lock_model(conn, name)
    assert found is not None
    return found, False


def next_version(conn: Tx, key: int) -> int:
    """Take the next version number of a locked model: 1, 2, 3... never reused."""
    rm = registered_models.c
    conn.execute(
        update(registered_models).where(rm.registered_model_id == key).values(last_version=rm.last_version + 1)
    )
    return int(conn.execute(select(rm.last_version).where(rm.registered_model_id == key)).scalar_one())


def update_model(conn: Tx, key: int, **values: object) -> None:
    conn.execute(
        update(registered_models).where(registered_models.c.registered_model_id == key).values(**values)
    )


def delete_model(conn: Tx, key: int) -> None:
    """Remove the model with its versions, tags, aliases, requests, deployment and version evidence (not its audit
    trail, nor its prediction log)."""
    for table in (model_aliases, model_version_tags, transition_requests, model_versions, registered_model_tags,
                  deployments, version_evidence):
        conn.execute(delete(table).where(table.c.registered_model_id == key))
    conn.execute(delete(registered_models).where(registered_models.c.registered_model_id == key))


def load_model(conn: Tx, ref: ModelRef) -> RegisteredModel:
    """The model with its tags, aliases and newest version per stage (MLflow's latest_versions)."""
    (model,) = _load(conn, [ref.key])
    return model


def search_models(conn: Tx, name_like: str | None, limit: int, offset: int,
                  visible: Collection[str] | None = None) -> list[RegisteredModel]:
    """Models ordered by name; ``name_like`` is a SQL LIKE pattern (``%`` any run of characters);
    ``visible`` (model keys) limits the search to those."""
    rm = registered_models.c
    stmt = select(rm.registered_model_id).order_by(rm.name).limit(limit).offset(offset)
    if visible is not None:
        stmt = stmt.where(rm.registered_model_id.in_([int(k) for k in visible]))
    if name_like:
        stmt = stmt.where(rm.name.like(name_like))
    return _load(conn, [row[0] for row in conn.execute(stmt)])


def _load(conn: Tx, keys: list[int]) -> list[RegisteredModel]:
    if not keys:
        return []
    rm = registered_models.c
    by_key = {
        row.registered_model_id: RegisteredModel(
            name=row.name, creation_timestamp=row.creation_time, last_updated_timestamp=row.last_updated_time,
            description=row.description or "",
        )
        for row in conn.execute(select(registered_models).where(rm.registered_model_id.in_(keys)))
    }
    t = registered_model_tags.c
    for key, tag_key, value in conn.execute(
        select(t.registered_model_id, t.key, t.value).where(t.registered_model_id.in_(keys))
    ):
        by_key[key].tags[tag_key] = value
    a = model_aliases.c
    for key, alias, version in conn.execute(
        select(a.registered_model_id, a.alias, a.version).where(a.registered_model_id.in_(keys)).order_by(a.alias)
    ):
        by_key[key].aliases[alias] = version
    mv = model_versions.c
    newest = (
        select(mv.registered_model_id, mv.current_stage, func.max(mv.version).label("version"))
        .where(mv.registered_model_id.in_(keys))
        .group_by(mv.registered_model_id, mv.current_stage)
    )
    wanted: dict[int, list[int]] = {}
    for key, _stage, version in conn.execute(newest):
        wanted.setdefault(key, []).append(version)
    stage_order = [s.value for s in ModelStage]
    for key, versions in wanted.items():
        found = load_versions(conn, key, by_key[key].name, versions)
        by_key[key].latest_versions = sorted(found, key=lambda v: stage_order.index(v.current_stage))
    return [by_key[k] for k in keys if k in by_key]


def set_tags(conn: Tx, key: int, tags: Mapping[str, str]) -> None:
    dialect.upsert(
        conn, registered_model_tags,
        [{"registered_model_id": key, "key": k, "value": v} for k, v in tags.items()],
        key_columns=("registered_model_id", "key"), update_columns=("value",),
    )


def delete_tag(conn: Tx, key: int, tag_key: str) -> int:
    t = registered_model_tags.c
    return conn.execute(delete(registered_model_tags).where(t.registered_model_id == key, t.key == tag_key)).rowcount


def get_setting(conn: Tx, key: str) -> str | None:
    s = registry_settings.c
    value: str | None = conn.execute(select(s.value).where(s.key == key)).scalar_one_or_none()
    return value


def set_setting(conn: Tx, key: str, value: str | None, now: int, updated_by: str) -> None:
    if value is None:
        conn.execute(delete(registry_settings).where(registry_settings.c.key == key))
        return
    dialect.upsert(
        conn, registry_settings, [{"key": key, "value": value, "updated_time": now, "updated_by": updated_by}],
        key_columns=("key",), update_columns=("value", "updated_time", "updated_by"),
    )


def raise_version_counter(conn: Tx, key: int, highest: int) -> None:
    """Move the model's version counter up to ``highest`` (never down), so numbers a version once
    had elsewhere are not given again."""
    rm = registered_models.c
    conn.execute(
        update(registered_models).where(rm.registered_model_id == key, rm.last_version < highest)
        .values(last_version=highest)
    )
