"""Experiment rows: insert, fetch, update, list."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from cairn.entities import Experiment, ViewType

from . import dialect
from .database import insert_unique
from .entity_filters import Condition, FilterSpec, KeyValueTable, OrderKey, where_clauses
from .schema import experiment_tags, experiments

Tx = Connection


def insert_experiment(conn: Tx, name: str, artifact_location: str | None, now: int) -> str | None:
    """Insert an experiment, returning its id (None when the name is taken); its default artifact
    location derives from the new id."""
    result = insert_unique(
        conn,
        insert(experiments).values(
            name=name,
            artifact_location=artifact_location or "",
            lifecycle_stage="active",
            creation_time=now,
            last_update_time=now,
        ),
    )
    if result is None:
        return None
    experiment_id = str(result.inserted_primary_key[0])
    if not artifact_location:
        conn.execute(
            update(experiments)
            .where(experiments.c.experiment_id == int(experiment_id))
            .values(artifact_location=f"mlflow-artifacts:/{experiment_id}")
        )
    return experiment_id


def name_exists(conn: Tx, name: str) -> bool:
    return conn.execute(select(experiments.c.experiment_id).where(experiments.c.name == name)).first() is not None


def get_experiment(conn: Tx, experiment_id: int) -> Experiment | None:
    return _one(conn, experiments.c.experiment_id == experiment_id)


_PLACE = select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
    experiments.c.experiment_id == bindparam("experiment_id")
)


def get_experiment_place(conn: Tx, experiment_id: int) -> tuple[str, str] | None:
    """(lifecycle stage, artifact location) of one experiment in one query: what starting a run
    in it needs, without its tags."""
    row = conn.execute(_PLACE, {"experiment_id": experiment_id}).first()
    return None if row is None else (row.lifecycle_stage, row.artifact_location)


def get_experiments(conn: Tx, experiment_ids: Sequence[int]) -> list[Experiment]:
    """The experiments with these ids (missing ones left out), with their tags, in two queries."""
    if not experiment_ids:
        return []
    stmt = select(experiments).where(experiments.c.experiment_id.in_(list(experiment_ids)))
    return _with_tags(conn, [_from_row(row) for row in conn.execute(stmt)])


def get_experiment_by_name(conn: Tx, name: str) -> Experiment | None:
    return _one(conn, experiments.c.name == name)


def _one(conn: Tx, condition) -> Experiment | None:  # type: ignore[no-untyped-def]
    row = conn.execute(select(experiments).where(condition)).first()
    if row is None:
        return None
    return _with_tags(conn, [_from_row(row)])[0]


EXPERIMENT_SEARCH = FilterSpec(
    what="experiments",
    attributes=frozenset({"name", "experiment_id", "creation_time", "last_update_time"}),
    numeric_attributes=frozenset({"creation_time", "last_update_time"}),
    entities=frozenset({"tag"}),
    example="name LIKE 'churn-%' AND tags.team = 'vision'",
)


def list_experiments(
    conn: Tx,
    view_type: ViewType,
    name_like: str | None,
    limit: int,
    offset: int,
    order_by_name: bool,
    conditions: Sequence[Condition] = (),
    order: Sequence[OrderKey] = (),
    visible: Collection[str] | None = None,
) -> list[Experiment]:
    """A page of experiments. ``conditions`` and ``order`` come from ``entity_filters`` parsed
    with ``EXPERIMENT_SEARCH``; with an ``order``, ties break on experiment_id as in MLflow.
    ``visible`` (experiment ids) limits the search to those, before paging."""
    stmt = select(experiments)
    if visible is not None:
        stmt = stmt.where(experiments.c.experiment_id.in_([int(k) for k in visible]))
    if view_type is ViewType.ACTIVE_ONLY:
        stmt = stmt.where(experiments.c.lifecycle_stage == "active")
    elif view_type is ViewType.DELETED_ONLY:
        stmt = stmt.where(experiments.c.lifecycle_stage == "deleted")
    if name_like is not None:
        stmt = stmt.where(func.lower(experiments.c.name).like(func.lower(name_like)))
    if conditions:
        stmt = stmt.where(
            *where_clauses(
                conn, conditions, experiments.c, experiments.c.experiment_id,
                {"tag": KeyValueTable(experiment_tags, "experiment_id")},
            )
        )
    if order:
        columns = [experiments.c[k.key].asc() if k.ascending else experiments.c[k.key].desc() for k in order]
        if all(k.key != "experiment_id" for k in order):
            columns.append(experiments.c.experiment_id.asc())
    else:
        columns = [experiments.c.name] if order_by_name else [experiments.c.experiment_id.desc()]
    stmt = stmt.order_by(*columns).limit(limit).offset(offset)
    return _with_tags(conn, [_from_row(r) for r in conn.execute(stmt)])


def rename_experiment(conn: Tx, experiment_id: int, name: str, now: int) -> bool:
    """False when another experiment has the name."""
    stmt = (update(experiments).where(experiments.c.experiment_id == experiment_id)
            .values(name=name, last_update_time=now))
    return insert_unique(conn, stmt) is not None


def update_experiment(conn: Tx, experiment_id: int, now: int, **values: object) -> None:
    conn.execute(
        update(experiments)
        .where(experiments.c.experiment_id == experiment_id)
        .values(last_update_time=now, **values)
    )


def set_experiment_tags(conn: Tx, experiment_id: int, tags: Mapping[str, str]) -> None:
    if tags:
        dialect.upsert(
            conn,
            experiment_tags,
            [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tags.items()],
            key_columns=("experiment_id", "key"),
            update_columns=("value",),
        )


def delete_experiment_tag(conn: Tx, experiment_id: int, key: str) -> int:
    result = conn.execute(
        delete(experiment_tags).where(
            experiment_tags.c.experiment_id == experiment_id, experiment_tags.c.key == key
        )
    )
    return result.rowcount


def _from_row(row) -> Experiment:  # type: ignore[no-untyped-def]
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=row.lifecycle_stage,
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
    )


def _with_tags(conn: Tx, found: list[Experiment]) -> list[Experiment]:
    if not found:
        return found
    by_id = {int(e.experiment_id): e for e in found}
    rows = conn.execute(
        select(experiment_tags.c.experiment_id, experiment_tags.c.key, experiment_tags.c.value).where(
            experiment_tags.c.experiment_id.in_(list(by_id))
        )
    )
    for experiment_id, key, value in rows:
        by_id[experiment_id].tags[key] = value
    return found
