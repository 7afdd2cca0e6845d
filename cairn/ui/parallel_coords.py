"""Parallel coordinates as plain SVG geometry: one vertical axis per chosen param or metric, one
polyline per run.

An axis whose values all read as finite numbers is numeric (scaled from its min at the bottom to
its max at the top); any other is categorical (its values sorted, evenly spaced). A run without
a value on an axis, or with NaN or infinity, breaks its line there instead of inventing a point.
The template draws the result; no JavaScript is needed to read it, and hovering a line (CSS)
lifts it above the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MIN_AXIS_GAP = 160
MIN_WIDTH = 1100  # a few axes spread over the page's width instead of huddling left
MARGIN_X = 90
TOP = 44
PLOT_HEIGHT = 220
BOTTOM = 24
LABEL_CHARS = 22
TICK_CHARS = 14
MAX_CATEGORY_TICKS = 10

Value = str | float | None


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Axis:
    name: str
    label: str
    x: float
    ticks: list[Tick]


@dataclass(frozen=True)
class Line:
    run_id: str
    name: str
    color: str
    segments: list[str]  # SVG ``points`` lists; a missing value splits the line
    title: str


@dataclass(frozen=True)
class ParallelChart:
    width: int
    height: int
    axes: list[Axis] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    top: int = TOP
    bottom: int = TOP + PLOT_HEIGHT


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _format(number: float) -> str:
    return f"{number:.4g}"


def _scale(values: list[Value]) -> tuple[list[float | None], list[Tick]]:
    """Each value's y (None when missing) and the axis ticks."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and not math.isfinite(v))]
    numbers = [_number(v) for v in present]
    if present and all(n is not None for n in numbers):
        low, high = min(n for n in numbers if n is not None), max(n for n in numbers if n is not None)

        def y_of(value: Value) -> float | None:
            n = _number(value)
            if n is None:
                return None
            share = 0.5 if high == low else (n - low) / (high - low)
            return TOP + (1 - share) * PLOT_HEIGHT

        ticks = [Tick(TOP + PLOT_HEIGHT, _format(low)), Tick(TOP, _format(high))] if high != low else [
            Tick(TOP + PLOT_HEIGHT / 2, _format(low))]
        if high != low:
            ticks.insert(1, Tick(TOP + PLOT_HEIGHT / 2, _format((low + high) / 2)))
        return [y_of(v) for v in values], ticks
    categories = sorted({str(v) for v in present})
    spots = {c: TOP + (PLOT_HEIGHT / 2 if len(categories) == 1 else PLOT_HEIGHT * i / (len(categories) - 1))
             for i, c in enumerate(categories)}
    every = max(1, math.ceil(len(categories) / MAX_CATEGORY_TICKS))
    ticks = [Tick(spots[c], _shorten(c, TICK_CHARS)) for c in categories[::every]]
    return [None if v is None or str(v) not in spots else spots[str(v)] for v in values], ticks


def parallel_chart(
    axes: list[tuple[str, list[Value]]], runs: list[tuple[str, str, str]]
) -> ParallelChart:
    """``axes``: (name, one value per run); ``runs``: (run id, name, colour) in the same order."""
    gaps = max(1, len(axes) - 1)
    gap = max(MIN_AXIS_GAP, (MIN_WIDTH - 2 * MARGIN_X) // gaps)
    chart = ParallelChart(MARGIN_X * 2 + gap * gaps, TOP + PLOT_HEIGHT + BOTTOM)
    ys: list[list[float | None]] = []
    for i, (name, values) in enumerate(axes):
        scaled, ticks = _scale(values)
        ys.append(scaled)
        chart.axes.append(Axis(name, _shorten(name.partition(".")[2] or name, LABEL_CHARS), MARGIN_X + i * gap, ticks))
    for r, (run_id, run_name, color) in enumerate(runs):
        segments: list[str] = []
        current: list[str] = []
        for axis, column in zip(chart.axes, ys, strict=True):
            y = column[r]
            if y is None:
                _close(segments, current)
                current = []
            else:
                current.append(f"{axis.x:.1f},{y:.1f}")
        _close(segments, current)
        described = ", ".join(f"{name}: {_describe(values[r])}" for name, values in axes)
        chart.lines.append(Line(run_id, run_name, color, segments, f"{run_name} — {described}"))
    return chart


def _close(segments: list[str], points: list[str]) -> None:
    if len(points) == 1:  # a lone point (both neighbours missing) is drawn as a dot
        points = points * 2
    if points:
        segments.append(" ".join(points))


def _describe(value: Value) -> str:
    if value is None:
        return "—"
    return _format(value) if isinstance(value, float) else str(value)
