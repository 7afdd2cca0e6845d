"""What the retention collector reads: every version whose files are in Cairn's store, unless
already collected."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, and_, exists, select

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


def versions_with_files(conn: Tx, marker_tag: str) -> list[VersionFiles]:
    """Every version (of every model) with files in the store and no ``marker_tag``, by model and
    number; versions whose files are outside the store have nothing to collect."""
    mv, rm, t = model_versions.c, registered_models.c, model_version_tags.c
    marked = exists().where(and_(t.registered_model_id == mv.registered_model_id, t.version == mv.version,
                                 t.key == marker_tag))
    stmt = (
        select(mv.registered_model_id, rm.name, mv.version, mv.current_stage, mv.source, mv.artifacts_retained_until,
               mv.files_location)
        .join(registered_models, rm.registered_model_id == mv.registered_model_id)
        .where(~marked, mv.files_location.is_not(None))
        .order_by(rm.name, mv.version)
    )
    return [VersionFiles(*row) for row in conn.execute(stmt)]
