from __future__ import annotations

import math

import pytest

from cairn.entities import Metric
from cairn.errors import InvalidParameter, NotFound
from cairn.tracking import run_data, runs
from cairn.tracking.metric_series import MAX_CHART_BUCKETS, get_metric_series


@pytest.fixture
def run_id(db) -> str:
    return runs.create_run(db, "0").run_id


def log(db, run_id: str, values: list[float], key: str = "loss") -> None:
    for start in range(0, len(values), 1000):
        chunk = values[start : start + 1000]
        run_data.log_batch(db, run_id, [Metric(key, v, 1_000 + start + i, start + i) for i, v in enumerate(chunk)], [], [])


def test_few_points_come_back_raw(db, run_id):
    log(db, run_id, [3.0, 2.0, 1.0])
    series = get_metric_series(db, run_id, "loss", buckets=10)
    assert series.is_raw
    assert series.x == [0, 1, 2]
    assert series.last == series.min == series.max == [3.0, 2.0, 1.0]


def test_many_points_are_bucketed_keeping_every_spike(db, run_id):
    values = [1.0] * 10_000
    values[1234] = 99.0
    values[8765] = -50.0
    log(db, run_id, values)
    series = get_metric_series(db, run_id, "loss", buckets=100)
    assert not series.is_raw
    assert len(series.x) == 100
    assert max(series.max) == 99.0 and min(series.min) == -50.0
    assert series.x[-1] == 9_999 and series.last[-1] == 1.0
    assert (series.start, series.end) == (0, 9_999)


def test_buckets_are_equal_width_over_the_requested_range(db, run_id):
    log(db, run_id, [float(i) for i in range(1000)])
    series = get_metric_series(db, run_id, "loss", start=100, end=299, buckets=20)
    assert series.x == list(range(109, 300, 10))
    assert series.min == [float(x - 9) for x in series.x]
    assert series.last == series.max == [float(x) for x in series.x]


def test_zooming_in_far_enough_gives_raw_points(db, run_id):
    log(db, run_id, [float(i) for i in range(5000)])
    series = get_metric_series(db, run_id, "loss", start=10, end=19, buckets=50)
    assert series.is_raw and series.x == list(range(10, 20))


def test_wall_time_axis(db, run_id):
    log(db, run_id, [5.0, 6.0])
    series = get_metric_series(db, run_id, "loss", x_axis="timestamp")
    assert series.x == [1_000, 1_001]


def test_nan_points_are_left_out(db, run_id):
    log(db, run_id, [1.0, math.nan, 3.0])
    assert get_metric_series(db, run_id, "loss").last == [1.0, 3.0]


def test_a_metric_never_logged_is_an_empty_series(db, run_id):
    assert get_metric_series(db, run_id, "nothing").x == []


def test_unknown_run_is_not_found(db):
    with pytest.raises(NotFound):
        get_metric_series(db, "0" * 32, "loss")


@pytest.mark.parametrize("kwargs, match", [
    ({"x_axis": "epoch"}, "x must be one of step, timestamp"),
    ({"buckets": 0}, f"between 1 and {MAX_CHART_BUCKETS}"),
    ({"start": 10, "end": 5}, "must not be greater"),
])  # fmt: skip
def test_bad_requests_are_invalid_parameter(db, run_id, kwargs, match):
    with pytest.raises(InvalidParameter, match=match):
        get_metric_series(db, run_id, "loss", **kwargs)


def test_the_last_point_of_a_bucket_is_the_latest_logged_at_its_greatest_step(db, run_id):
    points = [Metric("loss", float(i), 1_000 + i, i) for i in range(100)]
    points.append(Metric("loss", -7.0, 5_000, 99))  # step 99 logged again, later
    run_data.log_batch(db, run_id, points, [], [])
    series = get_metric_series(db, run_id, "loss", buckets=10)
    assert len(series.x) == 10
    assert (series.x[-1], series.last[-1], series.min[-1]) == (99, -7.0, -7.0)


def test_wall_time_buckets_keep_spikes_and_the_last_point(db, run_id):
    values = [1.0] * 5_000
    values[2_222] = 40.0
    log(db, run_id, values)
    series = get_metric_series(db, run_id, "loss", x_axis="timestamp", buckets=50)
    assert not series.is_raw and len(series.x) == 50
    assert max(series.max) == 40.0
    assert series.x[-1] == 1_000 + 4_999 and series.x == sorted(series.x)
    spiked = series.max.index(40.0)
    assert series.x[spiked - 1] < 1_000 + 2_222 <= series.x[spiked]


def test_nan_points_never_count_as_zero_in_a_bucket(db, run_id):
    values = [float(i % 7) + 1.0 for i in range(1_000)]  # 1..7, never 0
    values[10] = math.nan
    values[500] = 0.0  # a real zero still counts
    log(db, run_id, values)
    series = get_metric_series(db, run_id, "loss", buckets=100)
    assert series.min[1] == 1.0 and series.min[50] == 0.0
    assert all(not math.isnan(v) for v in series.min + series.max + series.last)
