"""Rich rendering of the ``cairn deployments`` and ``cairn predictions`` documents.

Each function takes the dict ``--json`` would print and a Console; nothing here reads the store.
``comparison_notes`` is the one exception to "draw only": it words the agreement lines, and the
command puts them in the document so a script reads the same sentences a person does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli_render import MISSING, fmt_number, fmt_time

SHORT_PREDICTION_ID = 12
_MAX_CELL = 60
_ARM_ORDER = {"primary": 0, "a": 0, "canary": 1, "b": 1, "shadow": 2}
_NO_WRAP = {"Arm", "Version", "Time", "Id"}
_RIGHT = {"Predictions", "Errors", "p50 ms", "p99 ms", "Latency", "Outcomes"}


def _table(*columns: str) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in _NO_WRAP,
                         justify="right" if column in _RIGHT else "left")
    return table


def _grid(rows: Mapping[str, Any]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows.items():
        grid.add_row(key, value if isinstance(value, Text) else Text(str(value) if value is not None else MISSING))
    return grid


def _value(value: Any, limit: int = _MAX_CELL) -> str:
    """A logged feature or output as one short cell (full values are in ``--json``)."""
    if value is None:
        return MISSING
    text = fmt_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ms(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def _pct(value: float) -> str:
    return f"{value:.4g}%"


# deployments ---------------------------------------------------------------------------------
def render_deployment(doc: Mapping[str, Any], console: Console) -> None:
    config = doc["deployment"]
    console.print(Text(f"{doc['model_name']}: {doc['summary']}", style="bold"))
    if config["revision"]:
        console.print(Text(f"revision {config['revision']}, set by {config['updated_by'] or MISSING} "
                           f"at {fmt_time(config['updated_time'])}", style="dim"))
    else:
        console.print(Text("never configured: the primary answers every request", style="dim"))
    table = _table("Arm", "Version", "Share of traffic", "A/B key")
    for arm in doc["arms"]:
        version = f"v{arm['version']}" if arm["version"] is not None else arm["ref"]
        if arm["arm"] in ("primary", "a") and arm["ref"] and arm["version"] is not None:
            version += f" ({_ref_label(arm['ref'])})"
        share = f"copy of {_pct(arm['traffic_percent'])}" if arm["copy"] else _pct(arm["traffic_percent"])
        table.add_row(arm["arm"], version, share, arm["key"] or "")
    console.print()
    console.print(table)
    if doc["plan_error"]:
        console.print()
        console.print(Text(f"Cannot serve now: {doc['plan_error']}", style="yellow"))
    if doc.get("applied"):
        console.print()
        console.print("Serving processes pick this up within seconds.")


def _ref_label(ref: str) -> str:
    """``churn/Production`` → ``Production``; ``churn@champion`` → ``@champion``."""
    if "@" in ref:
        return "@" + ref.split("@", 1)[1]
    return ref.rsplit("/", 1)[-1]


def comparison_notes(doc: Mapping[str, Any]) -> list[str]:
    """One sentence per agreement pair, and why arms that split traffic have none."""
    notes = []
    for a in doc["agreement"]:
        if a["rate"] is not None:
            notes.append(f"{a['arm']} vs {a['against']}: {a['rate'] * 100:.1f}% agreement over {a['pairs']:,} rows")
    arms = {arm["arm"] for arm in doc["arms"]}
    for challenger, against in (("canary", "primary"), ("b", "a")):
        if challenger in arms:
            notes.append(f"{challenger} vs {against}: they answer different requests, so agreement needs a shadow; "
                         "compare their outcomes and output means instead.")
    return notes


def render_comparison(doc: Mapping[str, Any], console: Console) -> None:
    window = " ".join(part for part in (
        f"since {fmt_time(doc['since'])}" if doc["since"] is not None else "",
        f"until {fmt_time(doc['until'])}" if doc["until"] is not None else "") if part) or "all time"
    console.print(Text(f"{doc['model_name']}: {doc['rows_read']:,} predictions, {window}", style="bold"))
    if not doc["arms"]:
        console.print("No predictions in this window. Serve the model with `cairn serve` and send it requests.")
        return
    table = _table("Arm", "Versions", "Predictions", "Errors", "p50 ms", "p99 ms", "Output mean", "Outcomes",
                   "Outcome mean")
    for arm in sorted(doc["arms"], key=lambda a: (_ARM_ORDER.get(a["arm"], 3), a["arm"])):
        errors = Text(f"{arm['errors']:,}", style="red" if arm["errors"] else "")
        table.add_row(arm["arm"], ", ".join(f"v{v}" for v in arm["versions"]), f"{arm['predictions']:,}", errors,
                      _ms(arm["latency_p50_ms"]), _ms(arm["latency_p99_ms"]), fmt_number(arm["output_mean"]),
                      f"{arm['outcomes']:,}", fmt_number(arm["outcome_mean"]))
    console.print()
    console.print(table)
    if doc["notes"]:
        console.print()
        for note in doc["notes"]:
            console.print(note)
    if doc["truncated"]:
        console.print(Text("Only the newest rows were read; narrow the window with --since/--until.", style="yellow"))


# predictions ---------------------------------------------------------------------------------
def render_prediction(doc: Mapping[str, Any], console: Console) -> None:
    p = doc["prediction"]
    console.print(Text(f"Prediction {p['prediction_id']}", style="bold"))
    console.print(_grid({
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
