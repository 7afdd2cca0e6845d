"""How busy each experiment is: active run count and the time of its latest run start or end."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from .schema import runs


def run_activity(conn: Connection, experiment_ids: Sequence[int]) -> dict[str, tuple[int, int | None]]:
    """experiment id -> (active runs, latest start or end time in ms); experiments without runs are absent."""
    r = runs.c
    latest = func.max(func.coalesce(r.end_time, r.start_time))
    stmt = (
        select(r.experiment_id, func.count(), latest)
        .where(r.experiment_id.in_(list(experiment_ids)), r.lifecycle_stage == "active")
        .group_by(r.experiment_id)
    )
    return {str(eid): (int(count), None if last is None else int(last)) for eid, count, last in conn.execute(stmt)}
