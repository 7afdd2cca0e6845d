"""Long series chart from the step blocks the store keeps as points arrive: the buckets must be
exactly what every point says (checked against a bucketing of the points done here), after more
points are logged, with spikes, NaN, negative steps and steps logged again."""

from __future__ import annotations

import math
import random

import pytest

from cairn.entities import Metric
from cairn.store import metric_blocks
from cairn.tracking import run_data, runs
from cairn.tracking.metric_series import MetricSeries, bucket_grid, get_metric_series


@pytest.fixture
def run_id(db) -> str:
    return runs.create_run(db, "0").run_id


def log(db, run_id: str, points: list[Metric]) -> None:
    for start in range(0, len(points), 1000):
        run_data.log_batch(db, run_id, points[start : start + 1000], [], [])


def expected(points: list[Metric], low: int, high: int, origin: int, width: int) -> MetricSeries:
    """The buckets every point gives, bucketed here point by point."""
    buckets: dict[int, list] = {}
    for p in points:
        if math.isnan(p.value) or not low <= p.step <= high:
            continue
        b = buckets.setdefault((p.step - origin) // width, [p.value, p.value, (p.step, p.timestamp, p.value)])
        b[0], b[1], b[2] = min(b[0], p.value), max(b[1], p.value), max(b[2], (p.step, p.timestamp, p.value))
    rows = [buckets[k] for k in sorted(buckets)]
    return MetricSeries("", "", "step", False, low, high, [b[2][0] for b in rows], [b[0] for b in rows],
                        [b[1] for b in rows], [b[2][2] for b in rows])


def assert_matches(series: MetricSeries, points: list[Metric], low: int, high: int, buckets: int) -> None:
    origin, width = bucket_grid("step", low, high, buckets)
    assert origin % metric_blocks.BLOCK_WIDTH == 0 and width % metric_blocks.BLOCK_WIDTH == 0  # from blocks
    want = expected(points, low, high, origin, width)
    assert not series.is_raw and len(series.x) <= buckets
    assert (series.x, series.min, series.max, series.last) == (want.x, want.min, want.max, want.last)
    assert (series.start, series.end) == (low, high)


def test_buckets_from_blocks_are_the_points_own(db, run_id):
    rng = random.Random(3)
    points = [Metric("loss", rng.gauss(0, 1), 1_000 + s, s) for s in range(-3_000, 60_000)]
    points[12_345] = Metric("loss", 1e9, 5, points[12_345].step)  # a one-step spike
    points += [Metric("loss", math.nan, 9, s) for s in range(0, 60_000, 7)]  # NaN beside real points
    points += [Metric("loss", rng.gauss(0, 1), 2_000_000 + s, s) for s in range(100, 60_000, 997)]  # steps again, later
    log(db, run_id, points)
    series = get_metric_series(db, run_id, "loss", buckets=200)
    assert_matches(series, points, -3_000, 59_999, 200)
    assert 1e9 in series.max
    for low, high, buckets in ((777, 41_234, 97), (-2_999, 5_000, 30), (20_000, 20_640, 2), (-100, 59_999, 150)):
        assert_matches(get_metric_series(db, run_id, "loss", start=low, end=high, buckets=buckets),
                       points, low, high, buckets)


def test_the_summary_follows_points_logged_later(db, run_id):
    points = [Metric("loss", 1.0, 1_000, s) for s in range(50_000)]
    log(db, run_id, points)
    assert max(get_metric_series(db, run_id, "loss", buckets=100).max) == 1.0
    later = [
        Metric("loss", 70.0, 2_000, 31_337),  # a spike inside blocks already summarised
        Metric("loss", -5.0, 3_000, 49_999),  # the last step again, logged later: the new last point
        *[Metric("loss", 2.0, 4_000, s) for s in range(50_000, 80_000)],  # the series grows
    ]
    log(db, run_id, later)
    points += later
    series = get_metric_series(db, run_id, "loss", buckets=100)
    assert_matches(series, points, 0, 79_999, 100)
    assert 70.0 in series.max and -5.0 in series.min and series.last[-1] == 2.0


def test_a_batch_sent_twice_changes_nothing(db, run_id):
    points = [Metric("loss", float(s % 13), 1_000, s) for s in range(30_000)]
    log(db, run_id, points)
    first = get_metric_series(db, run_id, "loss", buckets=50)
    log(db, run_id, points[10_000:20_000])
    assert get_metric_series(db, run_id, "loss", buckets=50) == first


def test_nan_points_are_never_in_a_block(db, run_id):
    points = [Metric("loss", math.nan if 10_000 <= s < 20_000 else 3.0, 1_000, s) for s in range(40_000)]
    log(db, run_id, points)
    series = get_metric_series(db, run_id, "loss", buckets=40)
    assert_matches(series, points, 0, 39_999, 40)
    assert set(series.min) == set(series.max) == set(series.last) == {3.0}  # a NaN never reads as 0
    assert not any(10_000 <= x < 20_000 for x in series.x)  # the all-NaN buckets are absent


def test_a_purged_series_leaves_no_blocks_behind(db, run_id):
    from cairn.store import run_retention

    log(db, run_id, [Metric("loss", 100.0, 1_000, s) for s in range(5_000)])
    with db.write() as tx:
        run_retention.purge_run(tx, run_id, [])
    # SQLite numbers the next series as the purged one was: its blocks must not come back with it.
    other = runs.create_run(db, "0").run_id
    log(db, other, [Metric("loss", 1.0, 1_000, s) for s in range(5_000)])
    assert set(get_metric_series(db, other, "loss", buckets=10).max) == {1.0}


def _stored(db, run_id: str) -> tuple[object, ...]:
    """Everything the store keeps of a run's metrics: latest values, histories and block rows."""
    from sqlalchemy import select

    from cairn.store.schema import latest_metrics
    from cairn.store.schema import metric_blocks as blocks
    from cairn.tracking import metrics_history

    latest = runs.get_run(db, run_id).data.metrics
    keys = sorted(latest)
    histories = {k: [(m.step, m.timestamp, repr(m.value)) for m in metrics_history.get_metric_history(db, run_id, k).items]
                 for k in keys}  # fmt: skip
    with db.read() as conn:
        series = dict(conn.execute(select(latest_metrics.c.series_id, latest_metrics.c.key)
                                   .where(latest_metrics.c.run_id == run_id)).all())  # fmt: skip
        b = blocks.c
        rows = sorted((series[r[0]], *r[1:]) for r in conn.execute(
            select(b.series_id, b.width, b.block, b.min_value, b.max_value, b.last_step, b.last_timestamp, b.last_value)
            .where(b.series_id.in_(list(series)))))  # fmt: skip
    return {k: (v.step, v.timestamp, repr(v.value)) for k, v in latest.items()}, histories, rows


def test_points_logged_one_by_one_are_stored_as_the_same_points_in_batches(db):
    # One point at a time takes the single-point path (one statement on PostgreSQL); batches of
    # several keys the general one. Out-of-order and negative steps, ties, NaN, infinities, repeats.
    rng = random.Random(11)
    points = [Metric(rng.choice(["loss", "acc"]), rng.choice([rng.uniform(-5, 5), math.nan, math.inf, -math.inf, 1.0]),
                     rng.randint(0, 3), rng.randint(-130, 200)) for _ in range(300)]  # fmt: skip
    points += points[:20]  # sent again
    one_by_one = runs.create_run(db, "0").run_id
    batched = runs.create_run(db, "0").run_id
    for point in points:
        run_data.log_metric(db, one_by_one, point)
    for start in range(0, len(points), 7):
        chunk = points[start : start + 7]
        if len({p.key for p in chunk}) == 1:
            chunk = [*chunk, Metric("other", 0.0, 0, 0)]  # keep it on the general path
        run_data.log_batch(db, batched, metrics=chunk)
    run_data.log_metric(db, one_by_one, Metric("other", 0.0, 0, 0))

    assert _stored(db, one_by_one) == _stored(db, batched)
