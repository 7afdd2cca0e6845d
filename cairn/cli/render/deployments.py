"""Rich rendering of the ``cairn deployments`` documents: a deployment's arms and shares, and the
comparison of the arms from the prediction log.

Each function takes the dict ``--json`` would print and a Console; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli.render import layout
from cairn.cli.render.evidence import render_candidate_gates
from cairn.cli.render.format import MISSING, fmt_number, fmt_time

_ARM_ORDER = {"primary": 0, "a": 0, "canary": 1, "b": 1, "shadow": 2}


def _table(*columns: str) -> Table:
    return layout.table(*columns, no_wrap={"Arm", "Version"},
                        right={"Predictions", "Errors", "p50 ms", "p99 ms", "Outcomes"})


def _ms(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def _pct(value: float) -> str:
    return f"{value:.4g}%"


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
    _render_flags(doc["model_name"], doc.get("range_flags"), console)
    if doc.get("applied"):
        console.print()
        console.print("Serving processes pick this up within seconds.")


def _render_flags(name: str, flags: Mapping[str, Any] | None, console: Console) -> None:
    """Served rows with features outside the training ranges, per version and feature."""
    if not flags or not flags["predictions"]:
        return
    console.print()
    more = "+" if flags["truncated"] else ""
    console.print(Text(f"Range flags: {flags['flagged']:,} of {flags['predictions']:,}{more} served predictions "
                       "had a feature outside the training ranges", style="bold"))
    if not flags["flagged"]:
        return
    table = _table("Version", "Feature", "Out of range", "Unseen category")
    for version, features in flags["versions"].items():
        for feature, kinds in sorted(features.items()):
            table.add_row(f"v{version}", feature, f"{kinds.get('out_of_range', 0):,}",
                          f"{kinds.get('unseen_category', 0):,}")
    console.print(table)
    console.print(Text(f"List them: cairn predictions list {name} --filter flags.any", style="dim"))


def _ref_label(ref: str) -> str:
    """``churn/Production`` → ``Production``; ``churn@champion`` → ``@champion``."""
    if "@" in ref:
        return "@" + ref.split("@", 1)[1]
    return ref.rsplit("/", 1)[-1]


def render_comparison(doc: Mapping[str, Any], console: Console) -> None:
    window = " ".join(part for part in (
        f"since {fmt_time(doc['since'])}" if doc["since"] is not None else "",
        f"until {fmt_time(doc['until'])}" if doc["until"] is not None else "") if part) or "all time"
    console.print(Text(f"{doc['model_name']}: {doc['rows_read']:,} predictions, {window}", style="bold"))
    if not doc["arms"]:
        console.print("No predictions in this window. Serve the model with `cairn serve` and send it requests.")
        render_candidate_gates(doc.get("gates") or [], console)
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
    render_candidate_gates(doc.get("gates") or [], console)
