"""Parallel coordinates geometry: numeric axes scale min (bottom) to max (top), other axes are
evenly spaced categories, and a missing or non-finite value breaks a run's line."""

from __future__ import annotations

import math

from cairn.ui.parallel_coords import MIN_WIDTH, PLOT_HEIGHT, TOP, parallel_chart

RUNS = [("a" * 32, "run-a", "#1f77b4"), ("b" * 32, "run-b", "#ff7f0e"), ("c" * 32, "run-c", "#2ca02c")]
BOTTOM = TOP + PLOT_HEIGHT


def points(segment: str) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in segment.split()]  # type: ignore[misc]


def test_numeric_axes_run_from_the_minimum_at_the_bottom_to_the_maximum_at_the_top():
    chart = parallel_chart([("params.lr", ["0.1", "0.01", "0.055"]), ("metrics.loss", [0.5, 1.5, 1.0])], RUNS)
    assert [a.label for a in chart.axes] == ["lr", "loss"]
    assert [t.text for t in chart.axes[0].ticks] == ["0.01", "0.055", "0.1"]
    ys = [[y for _, y in points(line.segments[0])] for line in chart.lines]
    assert ys == [[TOP, BOTTOM], [BOTTOM, TOP], [TOP + PLOT_HEIGHT / 2] * 2]
    assert chart.width >= MIN_WIDTH


def test_text_values_are_sorted_categories_spaced_evenly():
    chart = parallel_chart([("params.optimizer", ["sgd", "adam", "sgd"]), ("metrics.acc", [0.8, 0.8, 0.8])], RUNS)
    assert [t.text for t in chart.axes[0].ticks] == ["adam", "sgd"]
    first = [points(line.segments[0])[0][1] for line in chart.lines]
    assert first == [BOTTOM, TOP, BOTTOM]
    assert [t.text for t in chart.axes[1].ticks] == ["0.8"]  # one value: one tick, mid-axis


def test_a_missing_or_non_finite_value_breaks_the_line_and_a_lone_point_stays_a_dot():
    chart = parallel_chart([("params.lr", ["0.1", None, "0.2"]), ("metrics.loss", [1.0, 2.0, math.nan]),
                            ("metrics.acc", [0.5, 0.7, 0.9])], RUNS)
    full, broken, lone = (line.segments for line in chart.lines)
    assert len(full) == 1 and len(points(full[0])) == 3
    assert len(broken) == 1 and len(points(broken[0])) == 2  # lr missing: starts at loss
    assert len(lone) == 2 and points(lone[0])[0] == points(lone[0])[1]  # lr alone, then acc alone
    assert chart.lines[2].title == "run-c — params.lr: 0.2, metrics.loss: nan, metrics.acc: 0.9"
