"""The production timeline, derived from the audit trail (never stored separately).

Replaying a model's stage and alias events gives, per version, the half-open intervals
[start, end) during which it was in Production (or any stage) and each alias pointed at it. Two
events of one transaction share a millisecond: the version archived ends exactly where its
replacement starts, so "what was in production at T" always has at most one answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from cairn.entities import AuditEvent, ModelStage, TimelineInterval
from cairn.errors import InvalidParameter
from cairn.store import registry_audit as trail
from cairn.store.database import Database
from cairn.tracking.validation import validate_int64

from . import actions
from .audit import model_key_for_trail
from .standby import STANDBY, sweep_quietly
from .validation import validate_model_name

STAGE, ALIAS, STANDBY_KIND = "stage", "alias", "standby"
_TIMELINE_ACTIONS = actions.STAGE_ACTIONS | {
    actions.VERSION_DELETED, actions.MODEL_DELETED, actions.ALIAS_SET, actions.ALIAS_DELETED,
}


def get_timeline(db: Database, name: str, include_aliases: bool = True) -> list[TimelineInterval]:
    """Production intervals of every version, then standby intervals (a replaced version kept warm
    during a stability window), then alias intervals."""
    sweep_quietly(db, name)
    events = _events(db, name)
    intervals = stage_intervals(events, ModelStage.PRODUCTION.value) + stage_intervals(events, STANDBY,
                                                                                         STANDBY_KIND)
    if include_aliases:
        intervals += alias_intervals(events)
    return intervals


def production_version_at(db: Database, name: str, at: int) -> TimelineInterval | None:
    """The interval of the version that was in Production at ``at`` (ms, UTC), or None."""
    validate_int64("at", at)
    return next((i for i in stage_intervals(_events(db, name), ModelStage.PRODUCTION.value) if i.contains(at)), None)


def aliases_at(db: Database, name: str, at: int) -> list[TimelineInterval]:
    """Which version each alias pointed at, at ``at``."""
    validate_int64("at", at)
    return [i for i in alias_intervals(_events(db, name)) if i.contains(at)]


def stage_intervals(events: Iterable[AuditEvent], stage: str, kind: str = STAGE) -> list[TimelineInterval]:
    """Intervals during which versions held ``stage``, replayed from events in trail order
    (``kind`` names them: ``stage`` for Production, ``standby`` for a stability window)."""
    if stage not in {s.value for s in ModelStage} | {STANDBY}:
        raise InvalidParameter(f"Unknown stage {stage!r}.")
    opened: dict[int, AuditEvent] = {}
    done: list[TimelineInterval] = []

    def close(version: int, event: AuditEvent) -> None:
        start = opened.pop(version, None)
        if start is not None:
            done.append(_interval(kind, stage, version, start, event))

    for event in events:
        if event.action in actions.STAGE_ACTIONS and event.version is not None:
            if event.from_value == stage:
                close(event.version, event)
            if event.to_value == stage:
                opened[event.version] = event
        elif event.action == actions.VERSION_DELETED and event.version is not None:
            close(event.version, event)
        elif event.action == actions.MODEL_DELETED:
            for version in list(opened):
                close(version, event)
    done += [_interval(kind, stage, version, start, None) for version, start in opened.items()]
    return sorted(done, key=lambda i: (i.start, i.version))


def alias_intervals(events: Iterable[AuditEvent]) -> list[TimelineInterval]:
    """Intervals during which each alias pointed at each version."""
    opened: dict[str, AuditEvent] = {}
    done: list[TimelineInterval] = []

    def close(alias: str, event: AuditEvent) -> None:
        start = opened.pop(alias, None)
        if start is not None and start.to_value is not None:
            done.append(_interval(ALIAS, alias, int(start.to_value), start, event))

    for event in events:
        if event.action == actions.ALIAS_SET and event.alias:
            close(event.alias, event)
            opened[event.alias] = event
        elif event.action == actions.ALIAS_DELETED and event.alias:
            close(event.alias, event)
        elif event.action == actions.MODEL_DELETED:
            for alias in list(opened):
                close(alias, event)
    done += [_interval(ALIAS, alias, int(start.to_value or 0), start, None) for alias, start in opened.items()]
    return sorted(done, key=lambda i: (i.label, i.start))


def _interval(kind: str, label: str, version: int, start: AuditEvent, end: AuditEvent | None) -> TimelineInterval:
    approved_by = start.details.get("approved_by")
    return TimelineInterval(
        kind=kind, label=label, version=version, start=start.timestamp,
        end=end.timestamp if end is not None else None, started_by=start.actor,
        started_by_verified=start.actor_verified, start_reason=start.reason,
        ended_by=end.actor if end is not None else None,
        approved_by=str(approved_by) if approved_by is not None else None,
    )


def _events(db: Database, name: str) -> list[AuditEvent]:
    validate_model_name(name)
    with db.read() as tx:
        key = model_key_for_trail(tx, name)
        return trail.list_events(tx, key, actions=_TIMELINE_ACTIONS)
