"""The audit trail: every registry change worth answering for, recorded as it happens.

``record`` is called inside the write transaction of the change it describes, so the change and
its event commit (or roll back) together, and the matching webhook deliveries are queued in the
same transaction. Reading is all the API offers: nothing edits or deletes an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import Actor, AuditEvent, GateResult
from cairn.errors import NotFound
from cairn.store import registry_audit as trail
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx, find_model

from . import webhooks
from .actions import WEBHOOK_EVENTS
from .validation import validate_actor_name, validate_model_name

MAX_EVENTS = 10_000


def record(
    tx: Tx,
    model: ModelRef,
    action: str,
    actor: Actor,
    now: int,
    *,
    version: int | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
    alias: str | None = None,
    reason: str | None = None,
    gate_results: Sequence[GateResult] = (),
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event (and queue its webhook deliveries) in the caller's transaction."""
    validate_actor_name(actor.name)
    event = trail.insert_event(
        tx, model.key, model.name, action=action, actor=actor, timestamp=now, version=version,
        from_value=from_value, to_value=to_value, alias=alias, reason=reason, gate_results=gate_results,
        details=details,
    )
    for name in WEBHOOK_EVENTS.get(action, ()):
        webhooks.enqueue(tx, name, event_payload(event), now)
    return event


def list_audit_events(db: Database, name: str, version: int | None = None, max_results: int | None = None,
                      newest_first: bool = False) -> list[AuditEvent]:
    """A model's events in the order they happened (``newest_first`` for the last N).

    The trail of a deleted model stays readable under its last name. ``NotFound`` when no model
    of that name exists or ever did.
    """
    validate_model_name(name)
    limit = min(max_results, MAX_EVENTS) if max_results is not None else None
    with db.read() as tx:
        key = model_key_for_trail(tx, name)
        return trail.list_events(tx, key, version=version, newest_first=newest_first, limit=limit)


def model_key_for_trail(tx: Tx, name: str) -> int:
    found = find_model(tx, name)
    key = found.key if found is not None else trail.last_key_for_name(tx, name)
    if key is None:
        raise NotFound(f"Registered model '{name}' not found, and no audit trail exists under that name.")
    return key


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """An event as plain JSON-ready data (webhook payloads, ``--json`` output)."""
    return {
        "event_id": event.event_id,
        "model_name": event.model_name,
        "version": event.version,
        "action": event.action,
        "from": event.from_value,
        "to": event.to_value,
        "alias": event.alias,
        "actor": event.actor,
        "actor_verified": event.actor_verified,
        "actor_id": event.actor_id,
        "actor_method": event.actor_method,
        "timestamp": event.timestamp,
        "reason": event.reason,
        "gate_results": [gate_payload(g) for g in event.gate_results],
        "details": dict(event.details),
    }


def gate_payload(gate: GateResult) -> dict[str, Any]:
    payload = {"name": gate.name, "passed": gate.passed, "observed": gate.observed, "threshold": gate.threshold,
               "hint": gate.hint}
    if gate.evidence:
        payload["evidence"] = dict(gate.evidence)
    return payload
