"""Experiments' retention policies: which runs keep their artifacts.

A policy keeps the artifacts of the ``keep_last`` latest runs of its experiment (by start time,
ties by run id) and of every run started less than ``keep_days`` days ago; with both set a run is
kept if either keeps it. Deleted runs are not counted: they follow the deleted-run grace period
instead. ``runs_kept`` is the one place that rule is written; the collector in
``cairn.registry.run_retention`` adds what no policy may override (runs production may need, runs
still running). Setting or clearing a policy is recorded in the retention trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from cairn.entities import Actor, RetentionPolicy
from cairn.errors import InvalidParameter, NotFound
from cairn.store import experiments as experiment_rows
from cairn.store import retention_events as trail
from cairn.store import retention_policies as rows
from cairn.store.database import Database
from cairn.store.run_retention import RunRow

from . import clock
from .retention_trail import POLICY_CLEARED, POLICY_SET
from .validation import parse_experiment_id

DAY_MS = 86_400_000
MAX_KEEP_LAST = 1_000_000
MAX_KEEP_DAYS = 36_500


def validate_policy(keep_last: object, keep_days: object) -> tuple[int | None, int | None]:
    """``(keep_last, keep_days)`` if they make a policy; ``InvalidParameter`` saying why not."""
    for name, value, low, high in (("keep_last", keep_last, 1, MAX_KEEP_LAST),
                                   ("keep_days", keep_days, 0, MAX_KEEP_DAYS)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise InvalidParameter(f"Retention {name} must be a whole number from {low} to {high}, got {value!r}.")
    if keep_last is None and keep_days is None:
        raise InvalidParameter(
            "A retention policy keeps the N latest runs (keep_last), runs newer than D days (keep_days), or "
            "both; give at least one (cairn experiments retention set EXP --keep-last 5 --keep-days 30)."
        )
    return keep_last, keep_days  # type: ignore[return-value]


def set_retention_policy(db: Database, experiment_id: str, keep_last: int | None, keep_days: int | None,
                         actor: Actor) -> RetentionPolicy:
    """Give the experiment this policy (replacing any); ``NotFound`` for an unknown experiment."""
    key = parse_experiment_id(experiment_id)
    keep_last, keep_days = validate_policy(keep_last, keep_days)
    now = clock.now_ms()
    policy = RetentionPolicy(str(key), keep_last, keep_days, now, actor.name)
    with db.write() as tx:
        name = _experiment_name(tx, key)
        rows.put_policy(tx, policy)
        trail.insert_event(tx, action=POLICY_SET, actor=actor, timestamp=now, experiment_id=str(key),
                           policy=describe_policy(policy, name),
                           details={"keep_last": keep_last, "keep_days": keep_days})
    return policy


def get_retention_policy(db: Database, experiment_id: str) -> RetentionPolicy | None:
    """The experiment's policy, or None when it has none (its runs keep every artifact)."""
    key = parse_experiment_id(experiment_id)
    with db.read() as tx:
        _experiment_name(tx, key)
        return rows.get_policy(tx, key)


def clear_retention_policy(db: Database, experiment_id: str, actor: Actor) -> None:
    """Remove the experiment's policy; ``NotFound`` if it has none."""
    key = parse_experiment_id(experiment_id)
    with db.write() as tx:
        name = _experiment_name(tx, key)
        current = rows.get_policy(tx, key)
        if current is None:
            raise NotFound(f"Experiment '{name}' has no retention policy; there is nothing to clear.")
        rows.delete_policy(tx, key)
        trail.insert_event(tx, action=POLICY_CLEARED, actor=actor, timestamp=clock.now_ms(), experiment_id=str(key),
                           policy=describe_policy(current, name))


def describe_policy(policy: RetentionPolicy, experiment_name: str) -> str:
    """``the retention policy of experiment 'churn' (keep the 2 latest runs and runs newer than 30 days)``."""
    parts = []
    if policy.keep_last is not None:
        parts.append("the latest run" if policy.keep_last == 1 else f"the {policy.keep_last} latest runs")
    if policy.keep_days is not None:
        parts.append(f"runs newer than {policy.keep_days} day{'' if policy.keep_days == 1 else 's'}")
    return f"the retention policy of experiment '{experiment_name}' (keep {' and '.join(parts)})"


def runs_kept(policy: RetentionPolicy, runs: Sequence[RunRow], now: int) -> dict[str, str]:
    """run id -> why the policy keeps it, for ``runs`` ordered newest first (``active_runs``)."""
    kept: dict[str, str] = {}
    if policy.keep_days is not None:
        cutoff = now - policy.keep_days * DAY_MS
        for run in runs:
            if run.start_time is None or run.start_time > cutoff:
                kept[run.run_id] = f"started {_date(run.start_time)}, within the last {policy.keep_days} days"
    if policy.keep_last is not None:
        for rank, run in enumerate(runs[:policy.keep_last], start=1):
            kept.setdefault(run.run_id, f"one of the {policy.keep_last} latest runs (#{rank})")
    return kept


def _experiment_name(tx, key: int) -> str:  # type: ignore[no-untyped-def]
    found = experiment_rows.get_experiment(tx, key)
    if found is None:
        raise NotFound(f"No Experiment with id={key} exists. List experiments with `cairn experiments list`.")
    return found.name


def _date(ms: int | None) -> str:
    if ms is None:
        return "at an unknown time"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
