"""Model version rows with their tags and aliases."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Connection, delete, insert, select, update

from cairn.entities import ModelVersion

from . import dialect
from .schema import model_aliases, model_version_tags, model_versions, registered_models, version_evidence

Tx = Connection


def insert_version(conn: Tx, key: int, version: ModelVersion) -> None:
    conn.execute(
        insert(model_versions).values(
            registered_model_id=key,
            version=version.version,
            creation_time=version.creation_timestamp,
            last_updated_time=version.last_updated_timestamp,
            description=version.description or None,
            user_id=version.user_id,
            current_stage=version.current_stage,
            source=version.source,
            run_id=version.run_id,
            run_link=version.run_link,
            model_id=version.model_id,
            status=version.status,
            status_message=version.status_message,
            artifacts_retained_until=version.artifacts_retained_until,
            storage_location=version.storage_location,
            files_location=version.files_location,
        )
    )
    set_tags(conn, key, version.version, version.tags)


def get_version(conn: Tx, key: int, name: str, version: int) -> ModelVersion | None:
    found = load_versions(conn, key, name, [version])
    return found[0] if found else None


def list_versions(conn: Tx, key: int, name: str) -> list[ModelVersion]:
    """Every version of a model, by number."""
    mv = model_versions.c
    numbers = [n for (n,) in conn.execute(select(mv.version).where(mv.registered_model_id == key))]
    return load_versions(conn, key, name, numbers)


def load_versions(conn: Tx, key: int, name: str, numbers: Sequence[int]) -> list[ModelVersion]:
    """Versions of one model with tags and aliases, ordered by number (three queries)."""
    if not numbers:
        return []
    mv = model_versions.c
    rows = conn.execute(
        select(model_versions).where(mv.registered_model_id == key, mv.version.in_(list(numbers))).order_by(mv.version)
    )
    by_number = {row.version: _from_row(row, name) for row in rows}
    t = model_version_tags.c
    for version, tag_key, value in conn.execute(
        select(t.version, t.key, t.value).where(t.registered_model_id == key, t.version.in_(list(by_number)))
    ):
        by_number[version].tags[tag_key] = value
    a = model_aliases.c
    for version, alias in conn.execute(
        select(a.version, a.alias).where(a.registered_model_id == key, a.version.in_(list(by_number))).order_by(a.alias)
    ):
        by_number[version].aliases.append(alias)
    return list(by_number.values())


def versions_of_runs(conn: Tx, run_ids: Sequence[str]) -> list[ModelVersion]:
    """Every version whose source run is one of ``run_ids``, with tags and aliases, ordered by
    model name then number (three queries, however many runs and models)."""
    if not run_ids:
        return []
    mv, rm = model_versions.c, registered_models.c
    of_runs = mv.run_id.in_(list(run_ids))
    rows = conn.execute(
        select(model_versions, rm.name.label("model_name"))
        .join(registered_models, rm.registered_model_id == mv.registered_model_id)
        .where(of_runs)
        .order_by(rm.name, mv.version)
    )
    found = {(row.registered_model_id, row.version): _from_row(row, row.model_name) for row in rows}
    if not found:
        return []
    t, a = model_version_tags.c, model_aliases.c
    same_tag_version = (t.registered_model_id == mv.registered_model_id) & (t.version == mv.version)
    for key, version, tag_key, value in conn.execute(
        select(t.registered_model_id, t.version, t.key, t.value).join(model_versions, same_tag_version).where(of_runs)
    ):
        found[(key, version)].tags[tag_key] = value
    same_alias_version = (a.registered_model_id == mv.registered_model_id) & (a.version == mv.version)
    for key, version, alias in conn.execute(
        select(a.registered_model_id, a.version, a.alias).join(model_versions, same_alias_version)
        .where(of_runs).order_by(a.alias)
    ):
        found[(key, version)].aliases.append(alias)
    return list(found.values())


def versions_in_stage(conn: Tx, key: int, stage: str) -> list[int]:
    mv = model_versions.c
    stmt = select(mv.version).where(mv.registered_model_id == key, mv.current_stage == stage).order_by(mv.version)
    return [n for (n,) in conn.execute(stmt)]


def update_version(conn: Tx, key: int, version: int, **values: object) -> None:
    mv = model_versions.c
    conn.execute(update(model_versions).where(mv.registered_model_id == key, mv.version == version).values(**values))


def delete_version(conn: Tx, key: int, version: int) -> None:
    """Remove a version with its tags and evidence; the caller has removed its aliases (and audited that)."""
    e = version_evidence.c
    conn.execute(delete(version_evidence).where(e.registered_model_id == key, e.version == version))
    t = model_version_tags.c
    conn.execute(delete(model_version_tags).where(t.registered_model_id == key, t.version == version))
    mv = model_versions.c
    conn.execute(delete(model_versions).where(mv.registered_model_id == key, mv.version == version))


# The attributes a version search can order by, MLflow's names for them.
VERSION_ORDER_KEYS = ("name", "version_number", "creation_timestamp", "last_updated_timestamp")


def search_versions(
    conn: Tx, name: str | None, run_id: str | None, limit: int, offset: int,
    order: Sequence[tuple[str, bool]] = (("name", True), ("version_number", True)),
    visible: Collection[str] | None = None,
) -> list[ModelVersion]:
    """Versions matching an exact model name and/or source run, in ``order``: (key, ascending)
    pairs over ``VERSION_ORDER_KEYS``, by name then number unless told otherwise; ``visible``
    (model keys) limits the search to those models."""
    mv, rm = model_versions.c, registered_models.c
    columns = {"name": rm.name, "version_number": mv.version, "creation_timestamp": mv.creation_time,
               "last_updated_timestamp": mv.last_updated_time}
    stmt = (
        select(mv.registered_model_id, rm.name, mv.version)
        .join(registered_models, rm.registered_model_id == mv.registered_model_id)
        .order_by(*(columns[key].asc() if ascending else columns[key].desc() for key, ascending in order))
        .limit(limit)
        .offset(offset)
    )
    if name is not None:
        stmt = stmt.where(rm.name == name)
    if run_id is not None:
        stmt = stmt.where(mv.run_id == run_id)
    if visible is not None:
        stmt = stmt.where(mv.registered_model_id.in_([int(k) for k in visible]))
    grouped: dict[tuple[int, str], list[int]] = {}
    found: list[tuple[int, str, int]] = []
    for key, model_name, version in conn.execute(stmt):
        grouped.setdefault((key, model_name), []).append(version)
        found.append((key, model_name, version))
    loaded = {
        (key, v.version): v
        for (key, model_name), numbers in grouped.items()
        for v in load_versions(conn, key, model_name, numbers)
    }
    return [loaded[(key, version)] for key, _, version in found]


def set_tags(conn: Tx, key: int, version: int, tags: Mapping[str, str]) -> None:
    dialect.upsert(
        conn, model_version_tags,
        [{"registered_model_id": key, "version": version, "key": k, "value": v} for k, v in tags.items()],
        key_columns=("registered_model_id", "version", "key"), update_columns=("value",),
    )


def delete_tag(conn: Tx, key: int, version: int, tag_key: str) -> int:
    t = model_version_tags.c
    stmt = delete(model_version_tags).where(t.registered_model_id == key, t.version == version, t.key == tag_key)
    return conn.execute(stmt).rowcount


def get_alias(conn: Tx, key: int, alias: str) -> int | None:
    a = model_aliases.c
    version: int | None = conn.execute(
        select(a.version).where(a.registered_model_id == key, a.alias == alias)
    ).scalar_one_or_none()
    return version


def set_alias(conn: Tx, key: int, alias: str, version: int) -> None:
    dialect.upsert(
        conn, model_aliases, [{"registered_model_id": key, "alias": alias, "version": version}],
        key_columns=("registered_model_id", "alias"), update_columns=("version",),
    )


def delete_alias(conn: Tx, key: int, alias: str) -> None:
    a = model_aliases.c
    conn.execute(delete(model_aliases).where(a.registered_model_id == key, a.alias == alias))


def aliases_of(conn: Tx, key: int, version: int) -> list[str]:
    a = model_aliases.c
    stmt = select(a.alias).where(a.registered_model_id == key, a.version == version).order_by(a.alias)
    return [alias for (alias,) in conn.execute(stmt)]


def _from_row(row, name: str) -> ModelVersion:  # type: ignore[no-untyped-def]
    return ModelVersion(
        name=name,
        version=row.version,
        creation_timestamp=row.creation_time,
        last_updated_timestamp=row.last_updated_time,
        current_stage=row.current_stage,
        description=row.description or "",
        source=row.source,
        run_id=row.run_id,
        run_link=row.run_link,
        status=row.status,
        status_message=row.status_message,
        user_id=row.user_id,
        model_id=row.model_id,
        artifacts_retained_until=row.artifacts_retained_until,
        storage_location=row.storage_location,
        files_location=row.files_location,
        external=row.files_location is None,
    )
