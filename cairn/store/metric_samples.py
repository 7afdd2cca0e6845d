"""One metric across many runs in one query: the whole histories, or an even sample of each.

Both reads find the runs' series through ``latest_metrics`` (run, key) and read the points of all
of them in a single statement, so a chart of 100 runs costs one round trip, not 100.

The sample is MLflow's (its SQL store, 3.x): order each run's points by (step, timestamp, value,
is_nan), deal them into ``per_run`` buckets of near-equal size with ``NTILE``, keep the first
point of every bucket, and make sure the run's last point is in the answer, taking the place of
the last bucket's first point when the sample is full. A run with at most ``per_run`` points
comes back whole. NaN is stored as 0 with ``is_nan`` set in both stores, so the order is theirs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import Connection, and_, func, or_, select

from cairn.entities import Metric

from .schema import latest_metrics, metrics

Tx = Connection


def read_histories(conn: Tx, run_ids: Sequence[str], key: str, limit: int) -> list[tuple[str, Metric]]:
    """At most ``limit`` points of ``key`` over all ``run_ids``, ordered by run id, then
    timestamp, step and value (MLflow's order for this read); unknown runs add nothing."""
    lm, m = latest_metrics.c, metrics.c
    stmt = (
        select(lm.run_id, m.step, m.timestamp, m.value, m.is_nan)
        .join(latest_metrics, lm.series_id == m.series_id)
        .where(lm.run_id.in_(list(run_ids)), lm.key == key)
        .order_by(lm.run_id, m.timestamp, m.step, m.value)
        .limit(limit)
    )
    return [
        (run_id, Metric(key, math.nan if is_nan else value, timestamp, step))
        for run_id, step, timestamp, value, is_nan in conn.execute(stmt)
    ]


def sample_histories(
    conn: Tx, run_ids: Sequence[str], key: str, per_run: int, step_range: tuple[int, int] | None
) -> dict[str, list[Metric]]:
    """Each run's sample of at most ``per_run`` points of ``key`` (within ``step_range``,
    inclusive, when given), in (step, timestamp, value) order; runs without points are absent."""
    lm, m = latest_metrics.c, metrics.c
    point_order = (m.step, m.timestamp, m.value, m.is_nan)
    conditions = [lm.run_id.in_(list(run_ids)), lm.key == key]
    if step_range is not None:
        conditions += [m.step >= step_range[0], m.step <= step_range[1]]
    ranked = (
        select(
            lm.run_id, m.step, m.timestamp, m.value, m.is_nan,
            func.ntile(per_run).over(partition_by=m.series_id, order_by=point_order).label("bucket"),
            func.row_number().over(partition_by=m.series_id, order_by=point_order).label("position"),
            func.count().over(partition_by=m.series_id).label("points"),
        )
        .join(latest_metrics, lm.series_id == m.series_id)
        .where(*conditions)
        .subquery("ranked")
    )
    r = ranked.c
    placed = select(
        r.run_id, r.step, r.timestamp, r.value, r.is_nan, r.bucket, r.position, r.points,
        func.row_number().over(partition_by=(r.run_id, r.bucket), order_by=r.position).label("in_bucket"),
    ).subquery("placed")
    p = placed.c
    # The last bucket's first point gives way to the run's last point; with fewer points than
    # buckets every point is its own bucket and none reaches bucket number ``per_run``.
    keep = or_(p.position == p.points, and_(p.in_bucket == 1, p.bucket < per_run))
    stmt = (
        select(p.run_id, p.step, p.timestamp, p.value, p.is_nan)
        .where(keep)
        .order_by(p.run_id, p.step, p.timestamp, p.value, p.is_nan)
    )
    samples: dict[str, list[Metric]] = {}
    for run_id, step, timestamp, value, is_nan in conn.execute(stmt):
        samples.setdefault(run_id, []).append(Metric(key, math.nan if is_nan else value, timestamp, step))
    return samples
