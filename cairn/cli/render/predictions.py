"""Rich rendering of the ``cairn predictions`` documents: one served prediction with its features,
and a list of them.

Each function takes the dict ``--json`` would print and a Console; nothing here reads the store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli.render import layout
from cairn.cli.render.format import MISSING, fmt_number, fmt_time

SHORT_PREDICTION_ID = 12
_MAX_CELL = 60


def _table(*columns: str) -> Table:
    return layout.table(*columns, no_wrap={"Time", "Id", "Version", "Arm"}, right={"Latency"})


def _value(value: Any, limit: int = _MAX_CELL) -> str:
    """A logged feature or output as one short cell (full values are in ``--json``)."""
    if value is None:
        return MISSING
    text = fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_prediction(doc: Mapping[str, Any], console: Console) -> None:
    p = doc["prediction"]
    console.print(Text(f"Prediction {p['prediction_id']}", style="bold"))
    console.print(layout.grid({
        "Model": f"{p['model_name']} v{p['version']}",
        "Arm": p["arm"],
        "Source run": p["run_id"] or MISSING,
        "Time": fmt_time(p["timestamp"]),
        "Latency": f"{p['latency_ms']:.1f} ms",
        "Request": f"{p['request_id']} row {p['row_index']}",
        "Output": Text(_value(p["output"], 200)),
        "Error": Text(p["error"], style="red") if p["error"] else MISSING,
        "Outcome": fmt_number(p["outcome"]),
    }))
    console.print()
    console.print(Text("Features", style="bold underline"))
    console.print(_features(p["features"]))


def _features(features: Any) -> Any:
    if isinstance(features, Mapping):
        if not features:
            return Text("none recorded", style="dim")
        table = _table("Column", "Value")
        for column, value in features.items():
            table.add_row(str(column), _value(value, 200))
        return table
    return Text(_value(features, 500))


def render_predictions(doc: Mapping[str, Any], console: Console) -> None:
    found: Sequence[Mapping[str, Any]] = doc["predictions"]
    if not found:
        console.print(f"No predictions of '{doc['model_name']}' match.")
        return
    table = _table("Time", "Id", "Version", "Arm", "Output", "Latency", "Outcome")
    for p in found:
        output = Text(f"error: {p['error']}", style="red") if p["error"] else Text(_value(p["output"], 40))
        table.add_row(fmt_time(p["timestamp"]), p["prediction_id"][:SHORT_PREDICTION_ID], f"v{p['version']}",
                      p["arm"], output, f"{p['latency_ms']:.1f} ms", fmt_number(p["outcome"]))
    if doc["has_more"]:
        table.caption = "More predictions match; raise --max-results."
    console.print(table)
