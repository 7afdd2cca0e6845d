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
        "Flags": _flags_text(p.get("flags")),
    }))
    console.print()
    console.print(Text("Features", style="bold underline"))
    console.print(_features(p["features"]))


def _flags_text(flags: Any) -> Any:
    if not flags:
        return Text("none", style="dim")
    return Text("; ".join(f"{f['feature']} = {_value(f.get('value'), 40)} ({f['kind'].replace('_', ' ')}, "
                          f"expected {f.get('expected')})" for f in flags), style="yellow")


def render_explanation(doc: Mapping[str, Any], console: Console) -> None:
    e = doc["explanation"]
    version = e["version"]
    rule = e["traffic_rule"]
    console.print(Text(f"Prediction {e['prediction_id']} of {e['model_name']} v{version['version']}", style="bold"))
    set_by = f" (set by {rule['set_by']} at {fmt_time(rule['set_at'])})" if rule["set_by"] else ""
    console.print(layout.grid({
        "Time": fmt_time(e["timestamp"]),
        "Version": f"v{version['version']}" + (f" ({version['current_stage']} now)" if version.get("current_stage")
                                                else ""),
        "Source run": version.get("run_id") or MISSING,
        "Arm": e["arm"],
        "Traffic rule": Text(rule["rule"]),
        "Deployment": Text(rule["deployment"] + set_by),
        "Output": Text(_value(e["output"], 200)),
        "Error": Text(e["error"], style="red") if e["error"] else MISSING,
        "Outcome": fmt_number(e["outcome"]) if e["outcome"] is not None else "not logged",
        "Flags": _flags_text(e["flags"]),
    }))
    console.print()
    console.print(Text("Features as received", style="bold underline"))
    console.print(_features(e["features"]))
    console.print()
    console.print(Text("How this version got to serve", style="bold underline"))
    if not e["gates"]:
        console.print(Text("No recorded stage change to Staging or Production before this prediction.", style="dim"))
    for step in e["gates"]:
        who = step["actor"] + (f", approved by {step['approved_by']}" if step.get("approved_by") else "")
        console.print(f"{fmt_time(step['timestamp'])}  {step['action']} {step['from_stage']} → {step['to_stage']} "
                      f"by {who}" + (f": {step['reason']}" if step.get("reason") else ""))
        for gate in step["gate_results"]:
            mark = Text("pass", style="green") if gate["passed"] else Text("FAIL", style="red")
            console.print(Text("    ").append(mark).append(f"  {gate['name']}: {gate['observed']} "
                                                            f"(needs {gate['threshold']})"))


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
    table = _table("Time", "Id", "Version", "Arm", "Output", "Latency", "Outcome", "Flags")
    for p in found:
        output = Text(f"error: {p['error']}", style="red") if p["error"] else Text(_value(p["output"], 40))
        flagged = ", ".join(sorted({f["feature"] for f in p.get("flags") or ()}))
        table.add_row(fmt_time(p["timestamp"]), p["prediction_id"][:SHORT_PREDICTION_ID], f"v{p['version']}",
                      p["arm"], output, f"{p['latency_ms']:.1f} ms", fmt_number(p["outcome"]),
                      Text(flagged, style="yellow") if flagged else "")
    if doc["has_more"]:
        table.caption = "More predictions match; raise --max-results."
    console.print(table)
