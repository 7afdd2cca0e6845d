"""The stability window: a replaced Production version waits on standby before it is archived.

With a policy's ``archive_previous_after`` (e.g. ``48h``; 0, the default, archives at once as
MLflow does), promoting a version to Production moves the previous Production version to the
``Standby`` stage instead of Archived. ``cairn serve`` keeps standby versions loaded, so a
rollback inside the window (``cairn models rollback NAME``: the standby version is the previous
Production version) swaps it back without a cold load. At most one version is on standby: a second
promotion inside the window archives the older standby version at once.

When the window ends with no rollback and no gate breach on the new Production version (a
``gate_breach`` event, which serving evidence records through ``record_gate_breach``), the sweep
archives the standby version as the system principal (``SYSTEM_ACTOR``), an audited event like any
other. After a breach the standby version is held (``standby_held``) until someone rolls back or
archives it.

Where the sweep runs: every ``resolve_plan`` (each serving process polls it about twice a second,
so a served model's window is honoured to within a poll), every timeline read, before every
promotion and rollback, and on a periodic tick of ``cairn server`` for models nobody serves. It is
correct with any number of processes: a cheap read finds due models, then each is re-checked and
archived inside a write transaction holding the model's row lock (``FOR UPDATE`` on PostgreSQL;
SQLite's write transaction excludes other writers), so two workers never both archive a version
and a rollback committed first always wins. No Python lock is involved.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from cairn.entities import Actor, GateResult, ModelStage
from cairn.errors import Conflict, NotFound
from cairn.store import registry_audit as trail
from cairn.store import registry_standby as standby_rows
from cairn.store import registry_versions as rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock

from . import actions, audit
from .models import require_model
from .policies import effective_policy
from .refs import require_version
from .validation import parse_version, validate_model_name, validate_text

STANDBY = "Standby"  # not an MLflow stage: only a promotion puts a version there
SYSTEM_NAME = "cairn-system"
SYSTEM_ACTOR = Actor(SYSTEM_NAME, verified=True, principal_id="system", method="system")
SWEEP_INTERVAL_S = 1.0  # the periodic tick of a server
DAY_MS = 86_400_000
PRODUCTION, ARCHIVED = ModelStage.PRODUCTION.value, ModelStage.ARCHIVED.value
_log = logging.getLogger("cairn.registry")


def enter_standby(tx: Tx, model: ModelRef, version: int, replaced_by: int, actor: Actor, now: int,
                  window_ms: int, reason: str | None) -> None:
    """Move the replaced Production ``version`` to standby in the caller's transaction (audited)."""
    rows.update_version(tx, model.key, version, current_stage=STANDBY, last_updated_time=now,
                        standby_until=now + window_ms)
    audit.record(tx, model, actions.STANDBY, actor, now, version=version, from_value=PRODUCTION, to_value=STANDBY,
                 reason=reason, details={"replaced_by": replaced_by, "window_ms": window_ms,
                                         "archive_after": now + window_ms})


def standby_versions(tx: Tx, model: ModelRef) -> list[int]:
    return [version for version, _ in standby_rows.standby_versions(tx, model.key, STANDBY)]


def sweep_standby(db: Database, name: str | None = None, now: int | None = None) -> list[tuple[str, int]]:
    """Archive (or hold, after a gate breach) every standby version whose window has ended, of
    ``name`` or of every model; the (model, version) pairs archived."""
    at = clock.now_ms() if now is None else now
    with db.read() as tx:
        key = None
        if name is not None:
            found = require_model(tx, name)
            key = found.key
        due = standby_rows.due_models(tx, STANDBY, at, key)
    archived: list[tuple[str, int]] = []
    for model_name in due:
        with db.write() as tx:
            model = require_model(tx, model_name, lock=True)
            archived += [(model.name, v) for v in _settle(tx, model, at)]
    return archived


def sweep_quietly(db: Database, name: str) -> None:
    """``sweep_standby`` for one model before a read or write of it; a missing model is the
    caller's error to report, not the sweep's."""
    try:
        sweep_standby(db, name)
    except NotFound:
        pass


def record_gate_breach(db: Database, name: str, version: int | str, actor: Actor, reason: str,
                       gate_results: Sequence[GateResult] = ()) -> None:
    """Record that serving evidence on Production ``version`` failed a gate: a standby version it
    replaced is then held, not archived, when its window ends. ``Conflict`` unless ``version`` is
    in Production."""
    validate_model_name(name)
    number = parse_version(version)
    note = validate_text("reason", reason, required=True)
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        found = require_version(tx, model, number)
        if found.current_stage != PRODUCTION:
            raise Conflict(f"Version {number} of '{name}' is not in Production ({found.current_stage}); "
                           "a gate breach is recorded against the version serving.")
        audit.record(tx, model, actions.GATE_BREACH, actor, clock.now_ms(), version=number, reason=note,
                     gate_results=gate_results)


def _settle(tx: Tx, model: ModelRef, now: int) -> list[int]:
    """Inside the model's lock: archive or hold each standby version that is due now."""
    archived = []
    retention_ms = effective_policy(tx, model)[0].retention_days * DAY_MS
    for version, until in standby_rows.standby_versions(tx, model.key, STANDBY):
        if until is None or until > now:
            continue
        started = trail.list_events(tx, model.key, version=version, actions={actions.STANDBY},
                                    newest_first=True, limit=1)
        since = started[0].timestamp if started else until
        breaches = [e for e in trail.list_events(tx, model.key, actions={actions.GATE_BREACH}) if e.timestamp >= since]
        if breaches:
            rows.update_version(tx, model.key, version, standby_until=None, last_updated_time=now)
            audit.record(tx, model, actions.STANDBY_HELD, SYSTEM_ACTOR, now, version=version,
                         reason=f"gate breach on v{breaches[-1].version}: kept on standby for a rollback",
                         details={"breach_event": breaches[-1].event_id})
            continue
        rows.update_version(tx, model.key, version, current_stage=ARCHIVED, last_updated_time=now,
                            standby_until=None, artifacts_retained_until=now + retention_ms)
        audit.record(tx, model, actions.ARCHIVE, SYSTEM_ACTOR, now, version=version, from_value=STANDBY,
                     to_value=ARCHIVED, reason="stability window passed with no rollback and no gate breach",
                     details={"cause": "stability_window", "standby_since": since, "window_ends": until})
        archived.append(version)
    return archived


class StandbySweeper:
    """A server process's periodic tick: ``sweep_standby`` over every model each ``interval_s``,
    then ``on_archived()`` when it archived something (e.g. to send the webhooks it queued)."""

    def __init__(self, db: Database, interval_s: float = SWEEP_INTERVAL_S,
                 on_archived: Callable[[], None] | None = None) -> None:
        self._db = db
        self._interval = interval_s
        self._on_archived = on_archived
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cairn-standby-sweep", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if sweep_standby(self._db) and self._on_archived is not None:
                    self._on_archived()
            except Exception as exc:  # the store is briefly unreachable: try again next tick
                _log.warning("stability window sweep failed: %s: %s", type(exc).__name__, exc)
