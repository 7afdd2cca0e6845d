"""Sign-off: transition requests that wait for a second person.

When a model's policy requires sign-off, ``promote`` to Production opens a pending request.
Another user approves it (the requester cannot, nor, when the policy says
``signoff_excludes_creator``, the version's creator: ``PermissionDenied``), which re-runs the gates
against the version as it is now and, if they pass, applies the transition with the sign-off
stored among its gate results. Anyone, the requester included, may reject (withdraw) it.
"""

from __future__ import annotations

from collections.abc import Collection

from cairn.entities import Actor, ModelStage, TransitionOutcome, TransitionRequest
from cairn.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from cairn.store import registry_requests as rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock

from . import actions, audit, gates
from .model_files import ModelFiles
from .models import require_model
from .policies import effective_policy
from .refs import require_version
from .transitions import apply_transition
from .validation import parse_version, validate_model_name, validate_text

PENDING, APPROVED, REJECTED, CANCELLED = rows.PENDING, "APPROVED", "REJECTED", "CANCELLED"
STATUSES = (PENDING, APPROVED, REJECTED, CANCELLED)


def list_transition_requests(db: Database, name: str | None = None, status: str | None = PENDING,
                             visible: Collection[str] | None = None) -> list[TransitionRequest]:
    """Requests, oldest first: of one model or all, in one status (default PENDING) or any (None);
    only of the ``visible`` models (keys; None: all)."""
    if status is not None and status not in STATUSES:
        raise InvalidParameter(f"Unknown request status {status!r}; use one of {', '.join(STATUSES)}.")
    with db.read() as tx:
        key = require_model(tx, validate_model_name(name)).key if name is not None else None
        return rows.list_requests(tx, key=key, status=status, visible=visible)


def approve_transition_request(
    db: Database, name: str, version: int | str, actor: Actor, comment: str | None = None,
    model_files: ModelFiles | None = None,
) -> TransitionOutcome:
    """Sign off the pending request for a version and apply its transition.

    ``NotFound`` when nothing is pending, ``PermissionDenied`` for the requester themself,
    ``Conflict`` when a gate fails now (the request stays pending; the refusal is audited).
    """
    number = parse_version(version)
    note = validate_text("comment", comment)
    refused = None
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        request = _pending(tx, model, number)
        if actor.name == request.requested_by:
            raise PermissionDenied(
                f"{actor.name} requested this transition and cannot sign it off; another user must run "
                f"`cairn models approve {name} {number}`."
            )
        current = require_version(tx, model, number)
        target = ModelStage(request.to_stage)
        policy = effective_policy(tx, model)[0]
        if policy.signoff_excludes_creator and actor.name == current.user_id:
            raise PermissionDenied(
                f"{actor.name} created version {number} of '{name}' and, under this model's policy, cannot sign "
                "off its transition; another user must."
            )
        now = clock.now_ms()
        results = gates.evaluate(policy, gates.gather(tx, model, current, target.value, policy, model_files, now))
        if not all(r.passed for r in results):
            audit.record(tx, model, actions.TRANSITION_REFUSED, actor, now, version=number,
                         from_value=current.current_stage, to_value=target.value, reason=note, gate_results=results,
                         details={"request_id": request.request_id})
            refused = results
            outcome = TransitionOutcome(current, applied=False, gate_results=tuple(results), request=request)
        else:
            rows.decide(tx, request.request_id, APPROVED, actor, now, note)
            audit.record(tx, model, actions.SIGNOFF_APPROVED, actor, now, version=number,
                         from_value=current.current_stage, to_value=target.value, reason=note,
                         details={"request_id": request.request_id, "requested_by": request.requested_by})
            signed = [*results, gates.signoff_granted(request.requested_by, actor)]
            if current.current_stage == target.value:
                outcome = TransitionOutcome(current, applied=True, gate_results=tuple(signed))
            else:
                requester = Actor(request.requested_by, request.requested_by_verified)
                outcome = apply_transition(
                    tx, model, current, target, requester, now, policy=policy, reason=request.reason,
                    gate_results=signed, archive_existing=request.archive_existing_versions,
                    details={"request_id": request.request_id, "approved_by": actor.name},
                )
            outcome.request = _pending_or_decided(tx, model, request.request_id)
    if refused is not None:
        raise Conflict(gates.refusal_message(name, number, request.to_stage, refused))
    return outcome


def reject_transition_request(db: Database, name: str, version: int | str, actor: Actor,
                              comment: str | None = None) -> TransitionRequest:
    """Reject (or, by the requester, withdraw) the pending request for a version; audited."""
    number = parse_version(version)
    note = validate_text("comment", comment)
    with db.write() as tx:
        model = require_model(tx, validate_model_name(name), lock=True)
        request = _pending(tx, model, number)
        now = clock.now_ms()
        rows.decide(tx, request.request_id, REJECTED, actor, now, note)
        audit.record(tx, model, actions.SIGNOFF_REJECTED, actor, now, version=number,
                     from_value=request.from_stage, to_value=request.to_stage, reason=note,
                     details={"request_id": request.request_id, "requested_by": request.requested_by})
        return _pending_or_decided(tx, model, request.request_id)


def _pending(tx: Tx, model: ModelRef, number: int) -> TransitionRequest:
    request = rows.pending_request(tx, model.key, number)
    if request is None:
        raise NotFound(f"No pending transition request for version {number} of '{model.name}'. "
                       f"List them with `cairn models requests {model.name}`.")
    return request


def _pending_or_decided(tx: Tx, model: ModelRef, request_id: int) -> TransitionRequest:
    return next(r for r in rows.list_requests(tx, key=model.key) if r.request_id == request_id)
