"""The stability window: a replaced Production version waits on standby before it is archived.

With a policy's ``archive_previous_after`` (e.g. ``48h``; 0, the default, archives at once as
MLflow does), promoting a version to Production moves the previous Production version to the
``Standby`` stage instead of Archived. ``cairn serve`` keeps standby versions loaded, so a
rollback inside the window (``cairn models rollback NAME``: the standby version is the previous
Production version) swaps it back without a cold load. At most one version is on standby: a second
promotion inside the window archives the older standby version at once.

When the window ends with no rollback and no gate breach on the new Production version, the
sweep archives the standby version as the system principal (``SYSTEM_ACTOR``), an audited event
like any other. A breach is a ``gate_breach`` event on the new version, recorded two ways: by the
system when the policy's online gates, still watching the new version after its promotion, fail on
enough evidence (``stability_watch``: checked every ``WATCH_INTERVAL_S`` by a server's tick and
always once more when the window ends), or by a person or an outside monitor through
``record_gate_breach`` (``cairn models breach``). After a breach the standby version is held
(``standby_held``) until someone rolls back or archives it.

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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.entities import Actor, AuditEvent, GateResult, ModelStage, Policy
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
from .stability_watch import WatchVerdict, watch, watched_gates
from .validation import parse_version, validate_model_name, validate_text

STANDBY = "Standby"  # not an MLflow stage: only a promotion puts a version there
SYSTEM_NAME = "cairn-system"
SYSTEM_ACTOR = Actor(SYSTEM_NAME, verified=True, principal_id="system", method="system")
SWEEP_INTERVAL_S = 1.0  # the periodic tick of a server
WATCH_INTERVAL_S = 30.0  # how often a server's tick re-reads the serving evidence of open windows
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
                       gate_results: Sequence[GateResult] = ()) -> AuditEvent:
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
        return audit.record(tx, model, actions.GATE_BREACH, actor, clock.now_ms(), version=number, reason=note,
                            gate_results=gate_results, details={"cause": "reported"})


@dataclass(frozen=True)
class Window:
    """One standby version's stability window, as its ``standby`` event recorded it."""

    version: int
    replaced_by: int | None
    since: int
    until: int | None  # None: held after a breach
    window_ms: int


def _windows(tx: Tx, model: ModelRef) -> list[Window]:
    found = []
    for version, until in standby_rows.standby_versions(tx, model.key, STANDBY):
        started = trail.list_events(tx, model.key, version=version, actions={actions.STANDBY},
                                    newest_first=True, limit=1)
        details = dict(started[0].details) if started else {}
        since = started[0].timestamp if started else (until or 0)
        replaced_by = details.get("replaced_by")
        found.append(Window(version, int(replaced_by) if replaced_by is not None else None, since, until,
                            int(details.get("window_ms") or 0)))
    return found


def _breach_since(tx: Tx, model: ModelRef, since: int) -> AuditEvent | None:
    breaches = [e for e in trail.list_events(tx, model.key, actions={actions.GATE_BREACH}) if e.timestamp >= since]
    return breaches[-1] if breaches else None


def _watch(tx: Tx, model: ModelRef, policy: Policy, window: Window, until: int) -> WatchVerdict | None:
    if window.replaced_by is None:
        return None
    return watch(tx, model, policy, window.replaced_by, window.version, window.since, until, window.window_ms)


def _record_watched_breach(tx: Tx, model: ModelRef, verdict: WatchVerdict, now: int) -> AuditEvent:
    return audit.record(tx, model, actions.GATE_BREACH, SYSTEM_ACTOR, now, version=verdict.production,
                        reason=verdict.reason(), gate_results=verdict.results,
                        details={"cause": "stability_watch", "standby": verdict.standby, "since": verdict.since,
                                 "until": verdict.until, "baseline_since": verdict.baseline_since})


def _settle(tx: Tx, model: ModelRef, now: int) -> list[int]:
    """Inside the model's lock: archive or hold each standby version that is due now. With no
    breach recorded yet, the watched gates are read once more over the whole window first."""
    archived = []
    policy = effective_policy(tx, model)[0]
    retention_ms = policy.retention_days * DAY_MS
    for window in _windows(tx, model):
        if window.until is None or window.until > now:
            continue
        breach = _breach_since(tx, model, window.since)
        if breach is None:
            verdict = _watch(tx, model, policy, window, window.until)
            if verdict is not None and verdict.breaches:
                breach = _record_watched_breach(tx, model, verdict, now)
        if breach is not None:
            rows.update_version(tx, model.key, window.version, standby_until=None, last_updated_time=now)
            audit.record(tx, model, actions.STANDBY_HELD, SYSTEM_ACTOR, now, version=window.version,
                         reason=f"gate breach on v{breach.version}: kept on standby for a rollback",
                         details={"breach_event": breach.event_id})
            continue
        rows.update_version(tx, model.key, window.version, current_stage=ARCHIVED, last_updated_time=now,
                            standby_until=None, artifacts_retained_until=now + retention_ms)
        audit.record(tx, model, actions.ARCHIVE, SYSTEM_ACTOR, now, version=window.version, from_value=STANDBY,
                     to_value=ARCHIVED, reason="stability window passed with no rollback and no gate breach",
                     details={"cause": "stability_window", "standby_since": window.since,
                              "window_ends": window.until})
        archived.append(window.version)
    return archived


def watch_open_windows(db: Database, now: int | None = None) -> list[tuple[str, int]]:
    """Read the watched gates of every open window with no breach yet; record each breach found
    (as the system principal). The (model, Production version) pairs that breached."""
    at = clock.now_ms() if now is None else now
    with db.read() as tx:
        names = standby_rows.open_models(tx, STANDBY, at)
    breached: list[tuple[str, int]] = []
    for name in names:
        try:
            with db.read() as tx:  # the prediction log is read outside the model's write lock
                model = require_model(tx, name)
                policy = effective_policy(tx, model)[0]
                open_windows = [w for w in _windows(tx, model)
                                if w.until is not None and w.until > at and _breach_since(tx, model, w.since) is None]
                verdicts = [v for w in open_windows
                            if (v := _watch(tx, model, policy, w, at)) is not None and v.breaches]
            for verdict in verdicts:
                with db.write() as tx:
                    model = require_model(tx, name, lock=True)
                    if _still_open(tx, model, verdict):
                        _record_watched_breach(tx, model, verdict, clock.now_ms())
                        breached.append((name, verdict.production))
        except NotFound:
            continue  # deleted meanwhile
    return breached


def _still_open(tx: Tx, model: ModelRef, verdict: WatchVerdict) -> bool:
    """Under the lock: the window is still open, unbreached, and its new version still serving."""
    window = next((w for w in _windows(tx, model) if w.version == verdict.standby), None)
    return window is not None and window.until is not None and _breach_since(tx, model, window.since) is None \
        and require_version(tx, model, verdict.production).current_stage == PRODUCTION


def stability_report(db: Database, name: str, now: int | None = None) -> dict[str, Any]:
    """``cairn models stability``: each standby window of ``name`` (open, or held after a breach),
    the breach recorded if any, and what the watched gates read now."""
    validate_model_name(name)
    sweep_quietly(db, name)
    at = clock.now_ms() if now is None else now
    with db.read() as tx:
        model = require_model(tx, name)
        policy = effective_policy(tx, model)[0]
        found = []
        for window in _windows(tx, model):
            breach = _breach_since(tx, model, window.since)
            verdict = _watch(tx, model, policy, window, at if window.until is None else min(at, window.until))
            found.append({
                "standby": window.version, "production": window.replaced_by, "since": window.since,
                "until": window.until, "held": window.until is None, "window_ms": window.window_ms,
                "breach": audit.event_payload(breach) if breach is not None else None,
                "watch": _verdict_payload(verdict),
            })
    return {"name": model.name, "now": at, "archive_previous_after_ms": policy.archive_previous_after_ms,
            "watched": watched_gates(policy), "windows": found}


def _verdict_payload(verdict: WatchVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {"since": verdict.since, "until": verdict.until, "baseline_since": verdict.baseline_since,
            "gates": [audit.gate_payload(r) for r in verdict.results],
            "breaches": [r.name for r in verdict.breaches]}


class StandbySweeper:
    """A server process's periodic tick: ``sweep_standby`` over every model each ``interval_s``
    and ``watch_open_windows`` each ``watch_interval_s``, then ``on_archived()`` when either
    recorded something (e.g. to send the webhooks it queued)."""

    def __init__(self, db: Database, interval_s: float = SWEEP_INTERVAL_S,
                 on_archived: Callable[[], None] | None = None, watch_interval_s: float = WATCH_INTERVAL_S) -> None:
        self._db = db
        self._interval = interval_s
        self._watch_interval = watch_interval_s
        self._on_archived = on_archived
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cairn-standby-sweep", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        watched_at = time.monotonic()
        while not self._stop.wait(self._interval):
            try:
                changed = bool(sweep_standby(self._db))
                if time.monotonic() - watched_at >= self._watch_interval:
                    watched_at = time.monotonic()
                    changed = bool(watch_open_windows(self._db)) or changed
                if changed and self._on_archived is not None:
                    self._on_archived()
            except Exception as exc:  # the store is briefly unreachable: try again next tick
                _log.warning("stability window sweep failed: %s: %s", type(exc).__name__, exc)
