"""Why this prediction: one document answering "why did the model score this row like that, and
who let that version serve".

Everything is read back from what was recorded when it happened, never recomputed: the logged
prediction (features as received, range flags, output, outcome), the version and its source run,
the deployment's traffic configuration in force at the prediction's time (the newest
``deployment_set`` audit event before it) with the rule that sent the row to its arm, and the
version's stage changes up to then with the gate results stored on each (the gates it passed on
its way to production, and who approved it).
"""

from __future__ import annotations

from typing import Any

from cairn.entities import AuditEvent, ModelStage
from cairn.store import registry_audit as trail
from cairn.store import registry_versions as version_rows
from cairn.store.database import Database
from cairn.store.registry_models import find_model

from . import actions
from .arms import ARM_A, ARM_B, CANARY, SHADOW
from .audit import gate_payload
from .deployments import DeploymentConfig
from .predictions import get_prediction

# The events that carry a version toward serving, with the gate results stored on them.
_ROUTE_ACTIONS = frozenset({actions.PROMOTE, actions.ROLLBACK, actions.SIGNOFF_REQUESTED,
                            actions.SIGNOFF_APPROVED, actions.TRANSITION_REFUSED})
_SERVING_STAGES = (ModelStage.STAGING.value, ModelStage.PRODUCTION.value)


def explain_prediction(db: Database, prediction_id: str) -> dict[str, Any]:
    """The explanation of one logged prediction (see the module docstring). ``NotFound`` when the
    id is not in the prediction log; ``InvalidParameter`` for a malformed id."""
    prediction = get_prediction(db, prediction_id)
    version: dict[str, Any] = {"version": prediction.version, "run_id": prediction.run_id}
    config = DeploymentConfig(prediction.model_name)
    config_event: AuditEvent | None = None
    route: list[AuditEvent] = []
    with db.read() as tx:
        model = find_model(tx, prediction.model_name)
        if model is not None:
            found = version_rows.get_version(tx, model.key, model.name, prediction.version)
            if found is not None:
                version.update(current_stage=found.current_stage, source=found.source, created_by=found.user_id,
                               creation_timestamp=found.creation_timestamp)
            for event in trail.list_events(tx, model.key, actions={actions.DEPLOYMENT_SET}):
                if event.timestamp <= prediction.timestamp:
                    config_event = event
            route = [e for e in trail.list_events(tx, model.key, version=prediction.version,
                                                  actions=_ROUTE_ACTIONS)
                     if e.timestamp <= prediction.timestamp and e.to_value in _SERVING_STAGES]
    if config_event is not None:
        after = config_event.details.get("after")
        if isinstance(after, dict):
            config = DeploymentConfig.from_dict({**after, "model_name": prediction.model_name})
    return {
        "prediction_id": prediction.prediction_id,
        "request_id": prediction.request_id,
        "row_index": prediction.row_index,
        "timestamp": prediction.timestamp,
        "model_name": prediction.model_name,
        "version": version,
        "arm": prediction.arm,
        "traffic_rule": {
            "rule": traffic_rule(config, prediction.arm, prediction.features),
            "deployment": config.summary(),
            "set_by": config_event.actor if config_event is not None else None,
            "set_at": config_event.timestamp if config_event is not None else None,
            "reason": config_event.reason if config_event is not None else None,
        },
        "features": prediction.features,
        "flags": prediction.flags or [],
        "output": prediction.output,
        "error": prediction.error,
        "latency_ms": prediction.latency_ms,
        "outcome": prediction.outcome,
        "gates": [_step(e) for e in route],
    }


def traffic_rule(config: DeploymentConfig, arm: str, features: Any) -> str:
    """In words: why a row went to ``arm`` under ``config``."""
    if arm == SHADOW:
        return (f"shadow v{config.shadow_version}: a copy of every request; its answer was logged, never returned"
                if config.shadow_version is not None else "shadow: a copy of the request; its answer was logged only")
    if arm == CANARY:
        return f"canary: {_pct(config.canary_percent)} of requests, chosen at random per request"
    if arm in (ARM_A, ARM_B):
        key = config.ab_key or "the request key"
        value = features.get(config.ab_key) if isinstance(features, dict) and config.ab_key else None
        shown = f" (here {value!r})" if value is not None else ""
        side = (f"{_pct(config.ab_split)} of keys go to b" if arm == ARM_B
                else f"the {_pct(100 - (config.ab_split or 0))} of keys not sent to b stay on a")
        return f"A/B test split by {key}{shown}: a stable hash of the key decides the arm; {side}"
    target = f"the version alias @{config.primary_alias} points at" if config.primary_alias else "the Production version"
    if config.canary_version is not None:
        return (f"primary: {target}, answering every request the canary "
                f"({_pct(config.canary_percent)}) did not take")
    return f"primary: {target}, answering every request"


def _step(event: AuditEvent) -> dict[str, Any]:
    return {
        "action": event.action, "from_stage": event.from_value, "to_stage": event.to_value,
        "actor": event.actor, "actor_verified": event.actor_verified, "timestamp": event.timestamp,
        "reason": event.reason, "approved_by": event.details.get("approved_by"),
        "gate_results": [gate_payload(g) for g in event.gate_results],
    }


def _pct(value: float | None) -> str:
    return f"{value or 0:g}%"
