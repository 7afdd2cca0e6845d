"""The retention trail: insert and read, nothing else (the database refuses updates and deletes,
triggers of migration 0007)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from cairn.entities import Actor, RetentionEvent

from .schema import retention_events

Tx = Connection


def insert_event(
    conn: Tx,
    *,
    action: str,
    actor: Actor,
    timestamp: int,
    policy: str,
    experiment_id: str | None = None,
    run_id: str | None = None,
    location: str | None = None,
    files: int | None = None,
    size: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(insert(retention_events).values(
        timestamp=timestamp, action=action, actor=actor.name, actor_verified=actor.verified,
        actor_id=actor.principal_id, experiment_id=int(experiment_id) if experiment_id is not None else None,
        run_id=run_id, location=location, policy=policy, files=files, bytes=size,
        details=orjson.dumps(dict(details)).decode() if details else None,
    ))


def list_events(
    conn: Tx,
    *,
    experiment_id: int | None = None,
    run_id: str | None = None,
    actions: Collection[str] | None = None,
    limit: int | None = None,
) -> list[RetentionEvent]:
    """Events matching every filter given, newest first."""
    e = retention_events.c
    stmt = select(retention_events).order_by(e.event_id.desc())
    if experiment_id is not None:
        stmt = stmt.where(e.experiment_id == experiment_id)
    if run_id is not None:
        stmt = stmt.where(e.run_id == run_id)
    if actions is not None:
        stmt = stmt.where(e.action.in_(list(actions)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_from_row(row) for row in conn.execute(stmt)]


def latest_at_locations(conn: Tx, locations: Sequence[str], actions: Collection[str]) -> RetentionEvent | None:
    """The newest event of ``actions`` recorded at any of ``locations`` (exact store paths)."""
    e = retention_events.c
    stmt = (select(retention_events).where(e.location.in_(list(locations)), e.action.in_(list(actions)))
            .order_by(e.event_id.desc()).limit(1))
    row = conn.execute(stmt).first()
    return _from_row(row) if row is not None else None


def runs_with_events(conn: Tx, run_ids: Sequence[str], actions: Collection[str]) -> set[str]:
    """Which of ``run_ids`` have an event of ``actions``."""
    if not run_ids:
        return set()
    e = retention_events.c
    stmt = select(e.run_id).where(e.run_id.in_(list(run_ids)), e.action.in_(list(actions))).distinct()
    return {run_id for (run_id,) in conn.execute(stmt)}


def _from_row(row) -> RetentionEvent:  # type: ignore[no-untyped-def]
    return RetentionEvent(
        event_id=row.event_id, timestamp=row.timestamp, action=row.action, actor=row.actor,
        actor_verified=bool(row.actor_verified), policy=row.policy,
        experiment_id=str(row.experiment_id) if row.experiment_id is not None else None, run_id=row.run_id,
        location=row.location, files=row.files, bytes=row.bytes,
        details=orjson.loads(row.details) if row.details else {},
    )
