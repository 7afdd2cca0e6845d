"""Rollback: put back the version that was in Production before the current one.

The candidates come from the production timeline (the audit trail): the most recent earlier
Production version that still exists, or a named one that has been in Production before. Inside a
stability window that is the version on standby, which serving processes keep loaded. The
current Production version is archived in the same transaction. A rollback requires a reason,
skips the promotion gates (the version passed them when it was first shipped, and a rollback must
not wait for a sign-off), and is audited like every other transition.
"""

from __future__ import annotations

from cairn.entities import Actor, ModelStage, TransitionOutcome
from cairn.errors import Conflict
from cairn.store import registry_audit as trail
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.tracking import clock

from . import actions
from .models import require_model
from .policies import effective_policy
from .refs import require_version
from .standby import sweep_quietly
from .timeline import stage_intervals
from .transitions import apply_transition
from .validation import parse_version, validate_model_name, validate_text

PRODUCTION = ModelStage.PRODUCTION


def rollback(db: Database, name: str, actor: Actor, reason: str, version: int | str | None = None) -> TransitionOutcome:
    """Put the previous Production version (or ``version``) back in Production.

    ``InvalidParameter`` without a reason; ``NotFound`` for a missing model or named version;
    ``Conflict`` when there is nothing to roll back to, or the named version was never in
    Production (promote it instead) or is in Production now.
    """
    validate_model_name(name)
    note = validate_text("reason", reason, required=True)
    wanted = parse_version(version) if version is not None else None
    sweep_quietly(db, name)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        events = trail.list_events(tx, model.key, actions=actions.STAGE_ACTIONS | {actions.VERSION_DELETED})
        served = [i.version for i in stage_intervals(events, PRODUCTION.value)]
        live = rows.versions_in_stage(tx, model.key, PRODUCTION.value)
        current = live[0] if live else None
        if wanted is not None:
            target = require_version(tx, model, wanted)
            if wanted == current:
                raise Conflict(f"Version {wanted} of '{name}' is in Production now; name an earlier one.")
            if wanted not in served:
                raise Conflict(
                    f"Version {wanted} of '{name}' has never been in Production, so there is nothing to roll "
                    f"back to; promote it instead (cairn models promote {name} {wanted} --to Production)."
                )
        else:
            existing = {v.version for v in rows.list_versions(tx, model.key, name)}
            earlier = [v for v in reversed(served) if v != current and v in existing]
            if not earlier:
                shipped = f"only version {current} has been" if current is not None else "no version has been"
                raise Conflict(f"Nothing to roll back to: {shipped} in Production for '{name}'.")
            target = require_version(tx, model, earlier[0])
        return apply_transition(
            tx, model, target, PRODUCTION, actor, clock.now_ms(), policy=effective_policy(tx, model)[0],
            reason=note, action=actions.ROLLBACK, details={"rolled_back_from": current},
        )
