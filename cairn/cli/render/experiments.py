"""``cairn experiments list`` drawn: one row per experiment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from cairn.cli.render.format import fmt_time


def render_experiments(doc: Mapping[str, Any], console: Console) -> None:
    experiments = doc["experiments"]
    if not experiments:
        console.print("No experiments.")
        return
    show_stage = any(e["lifecycle_stage"] != "active" for e in experiments)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("ID", justify="right")
    table.add_column("Name", style="bold")
    if show_stage:
        table.add_column("Stage")
    table.add_column("Created")
    table.add_column("Artifact location", overflow="fold")
    table.add_column("Tags", overflow="fold")
    for e in experiments:
        cells = [e["experiment_id"], e["name"]]
        if show_stage:
            cells.append(e["lifecycle_stage"])
        tags = ", ".join(f"{k}={v}" for k, v in sorted(e["tags"].items()))
        cells += [fmt_time(e["creation_time"]), e["artifact_location"], tags]
        table.add_row(*cells)
    console.print(table)
