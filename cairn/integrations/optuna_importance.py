"""A study's parameter importances as a table (MLflow's table layout: ``param``, ``importance``,
most important first) and a horizontal bar chart (matplotlib, imported only here, drawn on a
``Figure`` without pyplot so no GUI backend is ever touched)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IMPORTANCE_TABLE = "param_importances.json"
IMPORTANCE_PLOT = "param_importances.png"
_BAR_HEIGHT_IN = 0.4
_MIN_HEIGHT_IN = 2.0
_WIDTH_IN = 6.0


def importance_table(importances: Mapping[str, float]) -> dict[str, list[Any]]:
    ranked = sorted(importances.items(), key=lambda kv: kv[1], reverse=True)
    return {"param": [k for k, _ in ranked], "importance": [float(v) for _, v in ranked]}


def importance_figure(importances: Mapping[str, float], title: str) -> Any:
    from matplotlib.figure import Figure

    ranked = sorted(importances.items(), key=lambda kv: kv[1])
    figure = Figure(figsize=(_WIDTH_IN, max(_MIN_HEIGHT_IN, 1 + _BAR_HEIGHT_IN * len(ranked))))
    axes = figure.subplots()
    axes.barh([k for k, _ in ranked], [v for _, v in ranked], color="#4c72b0")
    axes.set_xlabel("importance")
    axes.set_title(f"Parameter importances: {title}")
    figure.tight_layout()
    return figure
