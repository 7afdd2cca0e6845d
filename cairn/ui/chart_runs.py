"""What the chart module (``static/charts.js``) is told about the runs it draws.

The run page and the compare page render the same chart markup (``_charts.html``): one figure per
metric listing the runs that logged it, and one JSON block naming each run, its colour and its
start time (the origin of the "relative time" axis). Colours come from ``PALETTE`` in the order
the runs are given, so a run keeps its colour across every chart, legend and the parallel
coordinates of a page; one run alone takes the theme's line colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cairn.entities import Run

# Twenty hues that stay apart from each other and readable on the light and the dark background.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#6b6ecf", "#e7ba52", "#ad494a", "#31a354", "#a55194", "#3182bd", "#fd8d3c", "#8ca252", "#de9ed6", "#c0504d",
)  # fmt: skip


@dataclass(frozen=True)
class ChartRun:
    run_id: str
    name: str
    color: str | None
    start_time: int | None
    metric_keys: frozenset[str]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "color": self.color, "start": self.start_time}


@dataclass(frozen=True)
class Chart:
    key: str
    runs: list[ChartRun]


def chart_runs(runs: list[Run]) -> list[ChartRun]:
    """One ``ChartRun`` per run, coloured from ``PALETTE`` when there are several."""
    colored = len(runs) > 1
    return [
        ChartRun(r.info.run_id, r.info.run_name or r.info.run_id[:8], PALETTE[i % len(PALETTE)] if colored else None,
                 r.info.start_time, frozenset(r.data.metrics))
        for i, r in enumerate(runs)
    ]  # fmt: skip


def charts_of(keys: list[str], runs: list[ChartRun]) -> list[Chart]:
    """A chart per key, over the runs that logged it."""
    return [Chart(key, [r for r in runs if key in r.metric_keys]) for key in keys]


def runs_json(runs: list[ChartRun]) -> dict[str, Any]:
    return {r.run_id: r.to_json() for r in runs}
