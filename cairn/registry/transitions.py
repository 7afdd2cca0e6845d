"""Stage transitions (``promote``): policy gates, sign-off, and at most one Production version.

Rules, in the order they apply:

* The stage name is MLflow's (case-insensitive); moving a version to the stage it is in changes
  nothing and records nothing.
* The model's policy gates run first (``gates``). If any fails, nothing moves: the refusal is
  recorded in the audit trail with every gate's result, then ``Conflict`` names each failed gate
  and what would pass it.
* If the policy wants sign-off for Production, a pending ``TransitionRequest`` is opened instead
  (``approvals`` completes it) and the outcome says ``applied=False``.
* Promoting to Production archives the current Production version in the same transaction, or,
  with the policy's stability window (``archive_previous_after``), moves it to standby until the
  window ends (``standby``).
  This deliberately differs from MLflow, where two versions can be in Production unless the caller
  passes ``archive_existing_versions``; that flag still archives the other Staging versions when
  promoting to Staging, as in MLflow. A database index backs the rule up.
* Every stage change is an audit event with actor, time, from, to, reason and gate results; a
  promotion to Production that did not come from Staging is marked ``skipped_staging``.
* Archived versions keep their artifacts for the policy's retention period
  (``artifacts_retained_until``), so a rollback always has its model; after it, ``retention``
  may delete them, and such a version can only stay Archived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import Actor, GateResult, ModelStage, ModelVersion, Policy, TransitionOutcome
from cairn.errors import Conflict, InvalidParameter
from cairn.store import registry_models as model_rows
from cairn.store import registry_requests as request_rows
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock

from . import actions, audit, gates, standby
from .model_files import ModelFiles
from .models import require_model
from .policies import effective_policy
from .refs import require_version
from .retention import refuse_collected
from .validation import parse_stage, parse_version, validate_model_name, validate_text

DAY_MS = 86_400_000
PRODUCTION, STAGING, ARCHIVED = ModelStage.PRODUCTION, ModelStage.STAGING, ModelStage.ARCHIVED


def promote(
    db: Database,
    name: str,
    version: int | str,
    stage: str,
    actor: Actor,
    *,
    reason: str | None = None,
    archive_existing_versions: bool = False,
    model_files: ModelFiles | None = None,
) -> TransitionOutcome:
    """Move a version to ``stage`` under the model's policy (see the module docstring).

    ``InvalidParameter`` for a bad name, version or stage; ``NotFound`` for a missing model or
    version; ``Conflict`` when a gate fails or a sign-off request for the version is pending.
    """
    validate_model_name(name)
    number = parse_version(version)
    target = parse_stage(stage)
    note = validate_text("reason", reason)
    if not isinstance(archive_existing_versions, bool):
        raise InvalidParameter("archive_existing_versions must be true or false.")
    refused: list[GateResult] | None = None
    standby.sweep_quietly(db, name)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        current = require_version(tx, model, number)
        if current.current_stage == target.value:
            return TransitionOutcome(current, applied=True)
        if target is not ARCHIVED:
            refuse_collected(current, f"move to {target.value}")
        policy = effective_policy(tx, model)[0]
        now = clock.now_ms()
        results = gates.evaluate(policy, gates.gather(tx, model, current, target.value, policy, model_files, now))
        if not all(r.passed for r in results):
            audit.record(tx, model, actions.TRANSITION_REFUSED, actor, now, version=number,
                         from_value=current.current_stage, to_value=target.value, reason=note, gate_results=results)
            refused = results
            outcome = TransitionOutcome(current, applied=False, gate_results=tuple(results))
        elif gates.needs_signoff(policy, target.value):
            outcome = _request_signoff(tx, model, current, target, actor, now, note, archive_existing_versions,
                                       [*results, gates.signoff_pending(actor)])
        else:
            outcome = apply_transition(tx, model, current, target, actor, now, policy=policy, reason=note,
                                       gate_results=results, archive_existing=archive_existing_versions)
    if refused is not None:
        raise Conflict(gates.refusal_message(name, number, target.value, refused))
    return outcome


def apply_transition(
    tx: Tx,
    model: ModelRef,
    current: ModelVersion,
    target: ModelStage,
    actor: Actor,
    now: int,
    *,
    policy: Policy,
    reason: str | None,
    gate_results: Sequence[GateResult] = (),
    archive_existing: bool = False,
    action: str = actions.PROMOTE,
    details: Mapping[str, Any] | None = None,
) -> TransitionOutcome:
    """Move ``current`` to ``target`` in the caller's transaction, archiving what it replaces,
    with one audit event per version that changed stage. ``Conflict`` if ``current``'s files
    were deleted after its retention (only Archived is left for it)."""
    if target is not ARCHIVED:
        refuse_collected(current, "roll back to" if action == actions.ROLLBACK else f"move to {target.value}")
    retention_ms = policy.retention_days * DAY_MS
    archived: list[int] = []
    on_standby: list[int] = []
    window_ms = policy.archive_previous_after_ms if action == actions.PROMOTE and target is PRODUCTION else 0
    if window_ms:
        # A newer replacement ends an older stability window: one version waits on standby at most.
        for other in standby.standby_versions(tx, model):
            if other != current.version:
                rows.update_version(tx, model.key, other, current_stage=ARCHIVED.value, last_updated_time=now,
                                    artifacts_retained_until=now + retention_ms, standby_until=None)
                audit.record(tx, model, actions.ARCHIVE, actor, now, version=other, from_value=standby.STANDBY,
                             to_value=ARCHIVED.value, reason=reason,
                             details={"cause": "superseded", "replaced_by": current.version})
                archived.append(other)
    if target is PRODUCTION or (archive_existing and target is STAGING):
        for other in rows.versions_in_stage(tx, model.key, target.value):
            if other == current.version:
                continue
            if window_ms:
                standby.enter_standby(tx, model, other, current.version, actor, now, window_ms, reason)
                on_standby.append(other)
                continue
            # Archive first: the one-Production index must never see two Production rows.
            rows.update_version(tx, model.key, other, current_stage=ARCHIVED.value, last_updated_time=now,
                                artifacts_retained_until=now + retention_ms)
            audit.record(tx, model, actions.ARCHIVE, actor, now, version=other, from_value=target.value,
                         to_value=ARCHIVED.value, reason=reason,
                         details={"cause": action, "replaced_by": current.version})
            archived.append(other)
    retained = now + retention_ms if target is ARCHIVED else None
    rows.update_version(tx, model.key, current.version, current_stage=target.value, last_updated_time=now,
                        artifacts_retained_until=retained, standby_until=None)
    info: dict[str, Any] = dict(details or {})
    if action == actions.PROMOTE and target is PRODUCTION and current.current_stage != STAGING.value:
        info["skipped_staging"] = True
    if archived:
        info["archived_versions"] = archived
    if on_standby:
        info["standby_versions"] = on_standby
    if archive_existing:
        info["archive_existing_versions"] = True
    audit.record(tx, model, action, actor, now, version=current.version, from_value=current.current_stage,
                 to_value=target.value, reason=reason, gate_results=gate_results, details=info)
    model_rows.update_model(tx, model.key, last_updated_time=now)
    return TransitionOutcome(require_version(tx, model, current.version), applied=True,
                             gate_results=tuple(gate_results), archived_versions=tuple(archived))


def _request_signoff(tx: Tx, model: ModelRef, current: ModelVersion, target: ModelStage, actor: Actor, now: int,
                     reason: str | None, archive_existing: bool, results: list[GateResult]) -> TransitionOutcome:
    pending = request_rows.pending_request(tx, model.key, current.version)
    if pending is not None:
        raise Conflict(
            f"Version {current.version} of '{model.name}' already has pending request #{pending.request_id} "
            f"(to {pending.to_stage}, by {pending.requested_by}); approve or reject it first "
            f"(cairn models approve|reject {model.name} {current.version})."
        )
    request = request_rows.insert_request(tx, model.key, model.name, current.version, current.current_stage,
                                          target.value, actor, now, reason, archive_existing, results)
    audit.record(tx, model, actions.SIGNOFF_REQUESTED, actor, now, version=current.version,
                 from_value=current.current_stage, to_value=target.value, reason=reason, gate_results=results,
                 details={"request_id": request.request_id})
    return TransitionOutcome(current, applied=False, gate_results=tuple(results), request=request)
