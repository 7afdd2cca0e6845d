"""Standby rows: replaced Production versions waiting out their stability window
(``model_versions.standby_until``, migration 0011). The stage name is the caller's."""

from __future__ import annotations

from sqlalchemy import Connection, select

from .schema import model_versions, registered_models

Tx = Connection


def standby_versions(conn: Tx, key: int, stage: str) -> list[tuple[int, int | None]]:
    """(version, archive-after time or None when held) of the model's versions in ``stage``."""
    mv = model_versions.c
    stmt = (select(mv.version, mv.standby_until)
            .where(mv.registered_model_id == key, mv.current_stage == stage).order_by(mv.version))
    return [(int(v), int(u) if u is not None else None) for v, u in conn.execute(stmt)]


def due_models(conn: Tx, stage: str, now: int, key: int | None = None) -> list[str]:
    """Names of the models (or the one ``key``) with a version in ``stage`` whose window ended by ``now``."""
    mv, rm = model_versions.c, registered_models.c
    stmt = (select(rm.name).distinct()
            .select_from(model_versions.join(registered_models, rm.registered_model_id == mv.registered_model_id))
            .where(mv.current_stage == stage, mv.standby_until.is_not(None), mv.standby_until <= now))
    if key is not None:
        stmt = stmt.where(mv.registered_model_id == key)
    return [str(name) for (name,) in conn.execute(stmt)]


def open_models(conn: Tx, stage: str, now: int) -> list[str]:
    """Names of the models with a version in ``stage`` whose window is still open at ``now``."""
    mv, rm = model_versions.c, registered_models.c
    stmt = (select(rm.name).distinct()
            .select_from(model_versions.join(registered_models, rm.registered_model_id == mv.registered_model_id))
            .where(mv.current_stage == stage, mv.standby_until.is_not(None), mv.standby_until > now))
    return [str(name) for (name,) in conn.execute(stmt)]
