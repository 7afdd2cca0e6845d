"""The model registry on the wire: entities as MLflow's JSON messages (``model_registry.proto``)
and Cairn's own registry records, plus what registry routes read from a request besides its
fields (the acting user, the model files, the webhook worker to wake).

MLflow's messages spell versions as strings (``"version": "3"``) and leave absent fields out.
Cairn's records (outcomes, requests, audit events, intervals, policies, webhooks) keep the field
names of ``cairn.entities`` so the REST backend rebuilds them one to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from starlette.requests import Request

from cairn.auth import request_actor
from cairn.entities import (
    AuditEvent,
    CollectedArtifacts,
    GateResult,
    ModelVersion,
    Policy,
    RegisteredModel,
    TimelineInterval,
    TransitionOutcome,
    TransitionRequest,
    Webhook,
    WebhookDelivery,
)
from cairn.errors import PermissionDenied
from cairn.registry.audit import event_payload, gate_payload
from cairn.registry.model_files import ArtifactStoreModelFiles
from cairn.registry.policies import policy_to_dict
from cairn.registry.webhook_delivery import wake_worker

from .encoders import key_values
from .fields import Fields
from .state import artifacts_of, db_of, state_of

# request side ------------------------------------------------------------------------------

# Who the request acts as: read as the web UI reads it (cairn.auth.request_actor).
actor_of = request_actor.actor_of


def model_files_of(request: Request) -> ArtifactStoreModelFiles:
    """What the signature and input-example gates read the version's MLmodel through."""
    return ArtifactStoreModelFiles(artifacts_of(request))


def require_private_targets_allowed(request: Request, allow_private: bool) -> None:
    """Refuse a webhook to a private target unless the operator started the server with
    ``--allow-private-webhook-targets``: otherwise any API client could make the server call
    into its own network (SSRF)."""
    if allow_private and not state_of(request).config.allow_private_webhook_targets:
        raise PermissionDenied(
            "Webhooks to private, loopback or link-local targets are off on this server; its operator can "
            "allow them with `cairn server --allow-private-webhook-targets`."
        )


def announce(request: Request) -> None:
    """Wake this process's webhook worker if the change just made queued deliveries."""
    wake_worker(request.app.state, db_of(request))


def version_of(fields: Fields) -> int:
    """The ``version`` field: MLflow sends a string of digits, other clients a number."""
    number = fields.int64("version", required=True)
    assert number is not None
    return number


# MLflow messages ---------------------------------------------------------------------------

def model_version_to_wire(v: ModelVersion) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "current_stage": v.current_stage,
        "description": v.description,
        "source": v.source,
        "status": v.status,
    }
    if v.user_id:
        wire["user_id"] = v.user_id
    for name in ("run_id", "run_link", "status_message", "model_id"):
        value = getattr(v, name)
        if value:
            wire[name] = value
    if v.tags:
        wire["tags"] = key_values(v.tags)
    if v.aliases:
        wire["aliases"] = list(v.aliases)
    return wire


def version_files_to_wire(v: ModelVersion) -> dict[str, Any]:
    """Cairn's record, beside MLflow's message, of where a version's files are: the place in the
    artifact store, or ``external`` when they are outside it."""
    return {"location": v.files_location, "external": v.external}


def registered_model_to_wire(m: RegisteredModel) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description,
    }
    if m.latest_versions:
        wire["latest_versions"] = [model_version_to_wire(v) for v in m.latest_versions]
    if m.tags:
        wire["tags"] = key_values(m.tags)
    if m.aliases:
        wire["aliases"] = [{"alias": a, "version": str(n)} for a, n in m.aliases.items()]
    return wire


def model_versions_payload(versions: Sequence[ModelVersion], token: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if versions:
        payload["model_versions"] = [model_version_to_wire(v) for v in versions]
    if token:
        payload["next_page_token"] = token
    return payload


# Cairn records -----------------------------------------------------------------------------

def gates_to_wire(results: Sequence[GateResult]) -> list[dict[str, Any]]:
    return [gate_payload(g) for g in results]


def request_to_wire(r: TransitionRequest) -> dict[str, Any]:
    return {
        "request_id": r.request_id, "model_name": r.model_name, "version": r.version,
        "from_stage": r.from_stage, "to_stage": r.to_stage, "requested_by": r.requested_by,
        "requested_by_verified": r.requested_by_verified, "requested_time": r.requested_time,
        "status": r.status, "reason": r.reason, "archive_existing_versions": r.archive_existing_versions,
        "decided_by": r.decided_by, "decided_time": r.decided_time, "decision_comment": r.decision_comment,
        "gate_results": gates_to_wire(r.gate_results),
    }  # fmt: skip


def outcome_to_wire(o: TransitionOutcome) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "model_version": model_version_to_wire(o.model_version),
        "applied": o.applied,
        "gate_results": gates_to_wire(o.gate_results),
        "archived_versions": list(o.archived_versions),
    }
    if o.request is not None:
        wire["request"] = request_to_wire(o.request)
    return wire


def event_to_wire(e: AuditEvent) -> dict[str, Any]:
    return event_payload(e)


def interval_to_wire(i: TimelineInterval) -> dict[str, Any]:
    return {
        "kind": i.kind, "label": i.label, "version": i.version, "start": i.start, "end": i.end,
        "started_by": i.started_by, "started_by_verified": i.started_by_verified,
        "start_reason": i.start_reason, "ended_by": i.ended_by, "approved_by": i.approved_by,
    }  # fmt: skip


def policy_to_wire(p: Policy | None) -> dict[str, Any] | None:
    return policy_to_dict(p) if p is not None else None


def webhook_to_wire(w: Webhook) -> dict[str, Any]:
    return {
        "webhook_id": w.webhook_id, "name": w.name, "url": w.url, "events": list(w.events), "status": w.status,
        "creation_timestamp": w.creation_timestamp, "last_updated_timestamp": w.last_updated_timestamp,
        "description": w.description, "allow_private": w.allow_private,
    }  # fmt: skip


def collected_to_wire(c: CollectedArtifacts) -> dict[str, Any]:
    return asdict(c)


def delivery_to_wire(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": d.delivery_id, "webhook_id": d.webhook_id, "event": d.event, "status": d.status,
        "attempts": d.attempts, "created_time": d.created_time, "status_code": d.status_code, "error": d.error,
        "last_attempt_time": d.last_attempt_time, "next_attempt_time": d.next_attempt_time,
    }  # fmt: skip
