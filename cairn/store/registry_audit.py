"""The registry's audit trail: insert and read, nothing else.

There is deliberately no update or delete here; the database refuses both as well (triggers
created by migration 0003), so the trail can only grow.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from cairn.entities import Actor, AuditEvent, GateResult

from .schema import audit_events

Tx = Connection


def insert_event(
    conn: Tx,
    key: int,
    model_name: str,
    *,
    action: str,
    actor: Actor,
    timestamp: int,
    version: int | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
    alias: str | None = None,
    reason: str | None = None,
    gate_results: Sequence[GateResult] = (),
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    result = conn.execute(
        insert(audit_events).values(
            registered_model_id=key,
            model_name=model_name,
            version=version,
            action=action,
            from_value=from_value,
            to_value=to_value,
            alias=alias,
            actor=actor.name,
            actor_verified=actor.verified,
            actor_id=actor.principal_id,
            actor_method=actor.method,
            timestamp=timestamp,
            reason=reason,
            gate_results=encode_gate_results(gate_results) if gate_results else None,
            details=orjson.dumps(dict(details)).decode() if details else None,
        )
    )
    return AuditEvent(
        event_id=int(result.inserted_primary_key[0]), model_name=model_name, version=version, action=action,
        from_value=from_value, to_value=to_value, alias=alias, actor=actor.name, actor_verified=actor.verified,
        timestamp=timestamp, reason=reason, gate_results=tuple(gate_results), details=dict(details or {}),
        actor_id=actor.principal_id, actor_method=actor.method,
    )


def list_events(
    conn: Tx,
    key: int,
    *,
    version: int | None = None,
    actions: Collection[str] | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[AuditEvent]:
    """A model's events in the order they happened (or newest first), optionally filtered."""
    e = audit_events.c
    stmt = select(audit_events).where(e.registered_model_id == key)
    if version is not None:
        stmt = stmt.where(e.version == version)
    if actions is not None:
        stmt = stmt.where(e.action.in_(list(actions)))
    stmt = stmt.order_by(e.event_id.desc() if newest_first else e.event_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_from_row(row) for row in conn.execute(stmt)]


def last_key_for_name(conn: Tx, model_name: str) -> int | None:
    """The model key most recently recorded under ``model_name`` (finds a deleted model's trail)."""
    e = audit_events.c
    stmt = select(e.registered_model_id).where(e.model_name == model_name).order_by(e.event_id.desc()).limit(1)
    key: int | None = conn.execute(stmt).scalar_one_or_none()
    return key


def encode_gate_results(results: Sequence[GateResult]) -> str:
    return orjson.dumps(
        [{"name": r.name, "passed": r.passed, "observed": r.observed, "threshold": r.threshold, "hint": r.hint,
          **({"evidence": dict(r.evidence)} if r.evidence else {})}
         for r in results]
    ).decode()


def decode_gate_results(text: str | None) -> tuple[GateResult, ...]:
    if not text:
        return ()
    return tuple(
        GateResult(r["name"], bool(r["passed"]), r["observed"], r["threshold"], r.get("hint", ""),
                   r.get("evidence") or {})
        for r in orjson.loads(text)
    )


def _from_row(row) -> AuditEvent:  # type: ignore[no-untyped-def]
    return AuditEvent(
        event_id=row.event_id,
        model_name=row.model_name,
        version=row.version,
        action=row.action,
        from_value=row.from_value,
        to_value=row.to_value,
        alias=row.alias,
        actor=row.actor,
        actor_verified=bool(row.actor_verified),
        timestamp=row.timestamp,
        reason=row.reason,
        gate_results=decode_gate_results(row.gate_results),
        details=orjson.loads(row.details) if row.details else {},
        actor_id=row.actor_id,
        actor_method=row.actor_method,
    )
