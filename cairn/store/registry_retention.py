"""What the retention collectors read: every version whose files are in Cairn's store, unless
already collected (the archived versions' rule), and every version with what it holds on to (its
source run and its files), for the rule that runs production may need are never collected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, and_, exists, or_, select

from .schema import model_version_tags, model_versions, registered_models

Tx = Connection


class VersionFiles(NamedTuple):
    key: int
    name: str
    version: int
    stage: str
    source: str
    retained_until: int | None
    location: str  # where the files are in the store (``mlflow-artifacts:/...``)


class VersionHold(NamedTuple):
    """A version and what it may hold on to: its source run and its files (None: outside the store)."""

    name: str
    version: int
    stage: str
    run_id: str | None
    location: str | None
    retained_until: int | None
    collected: bool  # its files were deleted by retention


def versions_with_files(conn: Tx, marker_tag: str) -> list[VersionFiles]:
    """Every version (of every model) with files in the store and no ``marker_tag``, by model and
    number; versions whose files are outside the store have nothing to collect."""
    mv, rm = model_versions.c, registered_models.c
    stmt = (
        select(mv.registered_model_id, rm.name, mv.version, mv.current_stage, mv.source, mv.artifacts_retained_until,
               mv.files_location)
        .join(registered_models, rm.registered_model_id == mv.registered_model_id)
        .where(~_marked(marker_tag), mv.files_location.is_not(None))
        .order_by(rm.name, mv.version)
    )
    return [VersionFiles(*row) for row in conn.execute(stmt)]


def version_holds(conn: Tx, marker_tag: str, *, run_id: str | None = None,
                  location_prefixes: Sequence[str] = (), locations: Sequence[str] = ()) -> list[VersionHold]:
    """Every version of every model, by model and number, with ``collected`` set where it carries
    ``marker_tag``. Given ``run_id``, ``location_prefixes`` or ``locations``, only the versions of
    that source run, or whose files location starts with a prefix or equals a location."""
    mv, rm = model_versions.c, registered_models.c
    stmt = (
        select(rm.name, mv.version, mv.current_stage, mv.run_id, mv.files_location, mv.artifacts_retained_until,
               _marked(marker_tag).label("collected"))
        .join(registered_models, rm.registered_model_id == mv.registered_model_id)
        .order_by(rm.name, mv.version)
    )
    wanted = [mv.files_location.startswith(prefix, autoescape=True) for prefix in location_prefixes]
    if run_id is not None:
        wanted.append(mv.run_id == run_id)
    if locations:
        wanted.append(mv.files_location.in_(list(locations)))
    if wanted:
        stmt = stmt.where(or_(*wanted))
    return [VersionHold(*row[:-1], bool(row[-1])) for row in conn.execute(stmt)]


def _marked(marker_tag: str):  # type: ignore[no-untyped-def]
    mv, t = model_versions.c, model_version_tags.c
    return exists().where(and_(t.registered_model_id == mv.registered_model_id, t.version == mv.version,
                               t.key == marker_tag))
