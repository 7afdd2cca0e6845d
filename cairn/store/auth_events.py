"""The auth log (append-only: insert and read, nothing else; the database refuses UPDATE and
DELETE) and the failed-login counters the throttle reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from cairn.entities import Actor, AuthEvent

from . import dialect
from .schema import auth_events, login_failures

Tx = Connection


def insert_event(conn: Tx, action: str, actor: Actor, now: int, target: str | None,
                 details: Mapping[str, Any] | None = None) -> None:
    conn.execute(insert(auth_events).values(
        timestamp=now, action=action, actor=actor.name, actor_id=actor.principal_id, actor_method=actor.method,
        target=target, details=orjson.dumps(dict(details)).decode() if details else None,
    ))


def list_events(conn: Tx, limit: int) -> list[AuthEvent]:
    """The newest ``limit`` events, oldest first."""
    e = auth_events.c
    rows = conn.execute(select(auth_events).order_by(e.event_id.desc()).limit(limit)).all()
    return [
        AuthEvent(row.event_id, row.timestamp, row.action, row.actor, row.actor_id, row.actor_method, row.target,
                  orjson.loads(row.details) if row.details else {})
        for row in reversed(rows)
    ]


# failed sign-ins ---------------------------------------------------------------------------

def failures(conn: Tx, key: str) -> tuple[int, int] | None:
    """(failures, window start) for ``key``, or None."""
    f = login_failures.c
    row = conn.execute(select(f.failures, f.window_start).where(f.key == key)).first()
    return (int(row.failures), int(row.window_start)) if row is not None else None


def count_failure(conn: Tx, key: str, now: int, window_ms: int) -> None:
    """One more failure for ``key``; a window older than ``window_ms`` starts over. One statement,
    so failures counted by several server processes at once are all counted."""
    dialect.count_up(conn, login_failures, {"key": key}, "failures", "window_start", now, window_ms)


def clear_failures(conn: Tx, key: str) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.key == key))
