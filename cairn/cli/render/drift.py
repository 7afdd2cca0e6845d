"""``cairn drift`` drawn: one row per feature, most severe first, and the drifted ones named.

Takes the same dict ``--json`` prints; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from cairn.cli.render.format import MISSING, fmt_number, fmt_rate
from cairn.cli.render.layout import data_table

_SEVERITY_STYLES = {"high": "bold red", "moderate": "yellow", "low": "cyan", "none": "green"}


def render_drift(doc: Mapping[str, Any], console: Console) -> None:
    console.print(f"[bold]baseline[/] {doc['baseline']}  ({fmt_number(doc['baseline_rows'])} rows)")
    console.print(f"[bold]current [/] {doc['current']}  ({fmt_number(doc['current_rows'])} rows)\n")
    table = data_table("feature", "kind", "status", "severity", "PSI", "test", "statistic", "p-value", "nulls", "why")
    for f in doc["features"]:
        nulls = f"{fmt_rate(f['baseline_null_rate'])} → {fmt_rate(f['current_null_rate'])}"
        table.add_row(f["feature"], f["kind"], f["status"], Text(f["severity"], style=_SEVERITY_STYLES[f["severity"]]),
                      fmt_number(f["psi"]), f["test"] or MISSING, fmt_number(f["statistic"]),
                      fmt_number(f["p_value"]), nulls, "; ".join(f["reasons"]))
    console.print(table)
    drifted = doc["drifted"]
    console.print(f"\n{len(drifted)} drifted feature(s)" + (f": {', '.join(drifted)}" if drifted else ""))
