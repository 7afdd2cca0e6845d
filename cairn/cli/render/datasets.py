"""``cairn datasets list`` and ``cairn datasets show`` drawn: datasets by digest, and one
dataset's source, per-feature profile and the runs that used it.

Each function takes the same dict ``--json`` prints; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cairn.cli.render.format import MISSING, SHORT_DIGEST, SHORT_ID, fmt_number, fmt_rate, fmt_time
from cairn.cli.render.layout import data_section, data_table
from cairn.cli.render.sparklines import sparkline


def render_datasets(doc: Mapping[str, Any], console: Console) -> None:
    rows = doc["datasets"]
    if not rows:
        console.print("No datasets. Log one with cairn.log_dataset(df, name='...').")
        return
    table = data_table("name", "digest", "contexts", "runs", "last used", "source")
    for r in rows:
        table.add_row(r["name"], r["digest"][:SHORT_DIGEST], ", ".join(r["contexts"]) or MISSING,
                      str(r["run_count"]), fmt_time(r["last_used"]), _source_text(r["source_type"], r["source"]))
    console.print(table)


def _source_text(source_type: str, source: Any) -> str:
    if isinstance(source, Mapping):
        where = source.get("uri") or source.get("kind") or ""
        version = f" ({source['version']})" if source.get("version") else ""
        return f"{source_type}: {where}{version}" if where else source_type
    return f"{source_type}: {source}" if source else source_type


def render_dataset(doc: Mapping[str, Any], console: Console) -> None:
    d, profile = doc["dataset"], doc.get("profile") or {}
    head = data_table("", "")
    head.show_header = False
    for label, value in (("digest", d["digest"]), ("source", _source_text(d["source_type"], d["source"])),
                         ("rows", fmt_number(profile.get("num_rows"))),
                         ("columns", fmt_number(len(profile.get("features") or {}) or None)),
                         ("contexts", ", ".join(d["contexts"]) or MISSING)):
        head.add_row(Text(label, style="dim"), value)
    console.print(Panel(head, title=f"[bold]{d['name']}[/]", title_align="left", expand=False))
    features = profile.get("features") or {}
    if features:
        data_section(console, "Profile", _profile_table(features))
    elif profile:
        console.print("No per-feature profile (logged without one, e.g. by MLflow's client).\n")
    if doc["runs"]:
        runs = data_table("run", "name", "context", "started", "status")
        for r in doc["runs"]:
            runs.add_row(r["run_id"][:SHORT_ID], r["run_name"], r["context"] or MISSING, fmt_time(r["start_time"]),
                         r["status"])
        data_section(console, f"Used by {len(doc['runs'])} run(s)", runs)


def _profile_table(features: Mapping[str, Mapping[str, Any]]) -> Table:
    table = data_table("feature", "type", "count", "nulls", "mean", "std", "min", "p50", "max", "distribution")
    for name, f in features.items():
        if f.get("type") == "numeric":
            q = f.get("quantiles") or {}
            shape = sparkline([float(c) for c in (f.get("histogram") or {}).get("counts", [])])
            table.add_row(name, f["dtype"], str(f["count"]), fmt_rate(f.get("null_rate")), fmt_number(f.get("mean")),
                          fmt_number(f.get("std")), fmt_number(f.get("min")), fmt_number(q.get("p50")),
                          fmt_number(f.get("max")), shape)
        elif f.get("type") == "categorical":
            top = " · ".join(f"{t['value']} {t['frequency']:.0%}" for t in (f.get("top") or [])[:4])
            table.add_row(name, f["dtype"], str(f["count"]), fmt_rate(f.get("null_rate")), "", "", "", "", "",
                          f"{f.get('distinct')} distinct: {top}")
        else:
            table.add_row(name, str(f.get("dtype", "")), str(f.get("count", "")), fmt_rate(f.get("null_rate")), "", "",
                          str(f.get("min") or ""), "", str(f.get("max") or ""), "")
    return table
