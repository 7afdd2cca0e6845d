"""Deployment rows: one traffic configuration (JSON) per registered model, with a revision."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, insert, select, update

from .schema import deployments

Tx = Connection


class DeploymentRow(NamedTuple):
    config: str
    revision: int
    updated_time: int
    updated_by: str


def get_deployment(conn: Tx, key: int) -> DeploymentRow | None:
    d = deployments.c
    row = conn.execute(
        select(d.config, d.revision, d.updated_time, d.updated_by).where(d.registered_model_id == key)
    ).first()
    return DeploymentRow(row.config, row.revision, row.updated_time, row.updated_by) if row is not None else None


def put_deployment(conn: Tx, key: int, config: str, now: int, updated_by: str) -> int:
    """Store ``config`` for the model (the caller holds the model's lock); the new revision."""
    d = deployments.c
    current = conn.execute(select(d.revision).where(d.registered_model_id == key)).scalar()
    if current is None:
        conn.execute(insert(deployments).values(registered_model_id=key, config=config, revision=1,
                                                updated_time=now, updated_by=updated_by))
        return 1
    conn.execute(update(deployments).where(d.registered_model_id == key).values(
        config=config, revision=current + 1, updated_time=now, updated_by=updated_by))
    return int(current) + 1
