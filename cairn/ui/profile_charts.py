"""A dataset profile's columns as rows of a table with a small inline SVG each: a histogram of a
numeric column (its equal-width bins), the most frequent values of a categorical one.

The geometry is computed here and the template only draws rectangles, so a page with a hundred
columns costs a hundred small SVGs and no script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.datasets.profile_kinds import CATEGORICAL, NUMERIC

HISTOGRAM_WIDTH = 240
HISTOGRAM_HEIGHT = 56
TOP_VALUES_SHOWN = 8
CATEGORY_BAR_HEIGHT = 14
MAX_COLUMNS_SHOWN = 500


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    text: str  # what hovering the bar says


@dataclass
class ColumnView:
    name: str
    kind: str
    dtype: str
    stats: dict[str, Any]
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)  # categorical: (y, value) beside each bar
    width: int = HISTOGRAM_WIDTH
    height: int = HISTOGRAM_HEIGHT
    axis: tuple[str, str] | None = None  # numeric: the lowest and highest edge


def column_views(profile: dict[str, Any] | None) -> list[ColumnView]:
    features = (profile or {}).get("features") or {}
    return [_column(name, feature) for name, feature in list(features.items())[:MAX_COLUMNS_SHOWN]
            if isinstance(feature, dict)]


def _column(name: str, f: dict[str, Any]) -> ColumnView:
    kind = str(f.get("type") or "unknown")
    view = ColumnView(name, kind, str(f.get("dtype") or ""), {
        "count": f.get("count"), "nulls": f.get("nulls"), "null_rate": f.get("null_rate"),
        "distinct": f.get("distinct"), "mean": f.get("mean"), "std": f.get("std"), "min": f.get("min"),
        "median": (f.get("quantiles") or {}).get("p50"), "max": f.get("max"),
    })
    if kind == NUMERIC:
        _histogram(view, f.get("histogram") or {})
    elif kind == CATEGORICAL:
        _top_values(view, f.get("top") or [], f.get("other_count") or 0)
    return view


def _histogram(view: ColumnView, histogram: dict[str, Any]) -> None:
    counts, edges = histogram.get("counts") or [], histogram.get("edges") or []
    if not counts or len(edges) != len(counts) + 1:
        return
    tallest = max(counts) or 1
    step = HISTOGRAM_WIDTH / len(counts)
    for i, count in enumerate(counts):
        height = (HISTOGRAM_HEIGHT - 2) * count / tallest
        view.bars.append(Bar(i * step + 0.5, HISTOGRAM_HEIGHT - height, max(step - 1, 1), height,
                             f"{_num(edges[i])} to {_num(edges[i + 1])}: {count:,} rows"))
    view.axis = (_num(edges[0]), _num(edges[-1]))


def _top_values(view: ColumnView, top: list[dict[str, Any]], other: int) -> None:
    shown = [(str(t.get("value")), int(t.get("count") or 0)) for t in top[:TOP_VALUES_SHOWN]]
    rest = other + sum(int(t.get("count") or 0) for t in top[TOP_VALUES_SHOWN:])
    if rest:
        shown.append(("(other)", rest))
    if not shown:
        return
    most = max(count for _, count in shown) or 1
    label_width = 90
    view.height = len(shown) * (CATEGORY_BAR_HEIGHT + 3)
    for i, (value, count) in enumerate(shown):
        y = i * (CATEGORY_BAR_HEIGHT + 3)
        width = (HISTOGRAM_WIDTH - label_width - 4) * count / most
        view.bars.append(Bar(label_width, y, max(width, 1), CATEGORY_BAR_HEIGHT, f"{value}: {count:,} rows"))
        view.labels.append((y + CATEGORY_BAR_HEIGHT - 3, value if len(value) <= 14 else value[:13] + "…"))


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
