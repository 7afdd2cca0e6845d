"""Transition requests waiting for sign-off, and their decisions."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Connection, insert, select, update

from cairn.entities import Actor, GateResult, TransitionRequest

from .registry_audit import decode_gate_results, encode_gate_results
from .schema import registered_models, transition_requests

Tx = Connection

PENDING = "PENDING"


def insert_request(
    conn: Tx, key: int, model_name: str, version: int, from_stage: str, to_stage: str, requester: Actor,
    now: int, reason: str | None, archive_existing_versions: bool, gate_results: Sequence[GateResult],
) -> TransitionRequest:
    result = conn.execute(
        insert(transition_requests).values(
            registered_model_id=key, version=version, from_stage=from_stage, to_stage=to_stage,
            requested_by=requester.name, requested_by_verified=requester.verified, requested_time=now,
            reason=reason, archive_existing_versions=archive_existing_versions, status=PENDING,
            gate_results=encode_gate_results(gate_results),
        )
    )
    return TransitionRequest(
        request_id=int(result.inserted_primary_key[0]), model_name=model_name, version=version,
        from_stage=from_stage, to_stage=to_stage, requested_by=requester.name, requested_time=now,
        status=PENDING, reason=reason, requested_by_verified=requester.verified,
        archive_existing_versions=archive_existing_versions, gate_results=tuple(gate_results),
    )


def pending_request(conn: Tx, key: int, version: int) -> TransitionRequest | None:
    found = list_requests(conn, key=key, version=version, status=PENDING)
    return found[0] if found else None


def list_requests(
    conn: Tx, *, key: int | None = None, version: int | None = None, status: str | None = None,
    visible: Collection[str] | None = None,
) -> list[TransitionRequest]:
    """Requests (oldest first), optionally of one model, one version and one status, and only of
    the ``visible`` models (keys)."""
    r, rm = transition_requests.c, registered_models.c
    stmt = (
        select(transition_requests, rm.name)
        .join(registered_models, rm.registered_model_id == r.registered_model_id)
        .order_by(r.request_id)
    )
    if key is not None:
        stmt = stmt.where(r.registered_model_id == key)
    if version is not None:
        stmt = stmt.where(r.version == version)
    if status is not None:
        stmt = stmt.where(r.status == status)
    if visible is not None:
        stmt = stmt.where(r.registered_model_id.in_([int(k) for k in visible]))
    return [_from_row(row) for row in conn.execute(stmt)]


def decide(conn: Tx, request_id: int, status: str, decider: Actor, now: int, comment: str | None) -> None:
    conn.execute(
        update(transition_requests)
        .where(transition_requests.c.request_id == request_id)
        .values(status=status, decided_by=decider.name, decided_time=now, decision_comment=comment)
    )


def _from_row(row) -> TransitionRequest:  # type: ignore[no-untyped-def]
    return TransitionRequest(
        request_id=row.request_id,
        model_name=row.name,
        version=row.version,
        from_stage=row.from_stage,
        to_stage=row.to_stage,
        requested_by=row.requested_by,
        requested_time=row.requested_time,
        status=row.status,
        reason=row.reason,
        requested_by_verified=bool(row.requested_by_verified),
        archive_existing_versions=bool(row.archive_existing_versions),
        decided_by=row.decided_by,
        decided_time=row.decided_time,
        decision_comment=row.decision_comment,
        gate_results=decode_gate_results(row.gate_results),
    )
