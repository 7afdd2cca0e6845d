"""Rich rendering of the dataset, drift, diff and lineage documents built by ``cli_datasets``.

Each function takes the same dict ``--json`` prints; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cairn.cli_charts import sparkline
from cairn.cli_render import MISSING, fmt_number, fmt_time

SHORT_DIGEST = 12
SHORT_ID = 8
PATCH_LINES_SHOWN = 80
PACKAGES_SHOWN = 25
MOVED_PSI = 0.01  # below this a feature's distribution did not visibly move
_SEVERITY_STYLES = {"high": "bold red", "moderate": "yellow", "low": "cyan", "none": "green"}
_KIND_MARKS = {"dataset": "🗄", "run": "▶", "commit": "⎇", "model_version": "◆", "deployment": "🚀"}


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(box=None, title=title, title_justify="left", header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column)
    return table


def _section(console: Console, title: str, body: Any) -> None:
    console.print(Text(title, style="bold underline"))
    console.print(body)
    console.print()


def _pct(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1%}"


# datasets ------------------------------------------------------------------------------------
def render_datasets(doc: Mapping[str, Any], console: Console) -> None:
    rows = doc["datasets"]
    if not rows:
        console.print("No datasets. Log one with cairn.log_dataset(df, name='...').")
        return
    table = _table("name", "digest", "contexts", "runs", "last used", "source")
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
    head = _table("", "")
    head.show_header = False
    for label, value in (("digest", d["digest"]), ("source", _source_text(d["source_type"], d["source"])),
                         ("rows", fmt_number(profile.get("num_rows"))),
                         ("columns", fmt_number(len(profile.get("features") or {}) or None)),
                         ("contexts", ", ".join(d["contexts"]) or MISSING)):
        head.add_row(Text(label, style="dim"), value)
    console.print(Panel(head, title=f"[bold]{d['name']}[/]", title_align="left", expand=False))
    features = profile.get("features") or {}
    if features:
        _section(console, "Profile", _profile_table(features))
    elif profile:
        console.print("No per-feature profile (logged without one, e.g. by MLflow's client).\n")
    if doc["runs"]:
        runs = _table("run", "name", "context", "started", "status")
        for r in doc["runs"]:
            runs.add_row(r["run_id"][:SHORT_ID], r["run_name"], r["context"] or MISSING, fmt_time(r["start_time"]),
                         r["status"])
        _section(console, f"Used by {len(doc['runs'])} run(s)", runs)


def _profile_table(features: Mapping[str, Mapping[str, Any]]) -> Table:
    table = _table("feature", "type", "count", "nulls", "mean", "std", "min", "p50", "max", "distribution")
    for name, f in features.items():
        if f.get("type") == "numeric":
            q = f.get("quantiles") or {}
            shape = sparkline([float(c) for c in (f.get("histogram") or {}).get("counts", [])])
            table.add_row(name, f["dtype"], str(f["count"]), _pct(f.get("null_rate")), fmt_number(f.get("mean")),
                          fmt_number(f.get("std")), fmt_number(f.get("min")), fmt_number(q.get("p50")),
                          fmt_number(f.get("max")), shape)
        elif f.get("type") == "categorical":
            top = " · ".join(f"{t['value']} {t['frequency']:.0%}" for t in (f.get("top") or [])[:4])
            table.add_row(name, f["dtype"], str(f["count"]), _pct(f.get("null_rate")), "", "", "", "", "",
                          f"{f.get('distinct')} distinct: {top}")
        else:
            table.add_row(name, str(f.get("dtype", "")), str(f.get("count", "")), _pct(f.get("null_rate")), "", "",
                          str(f.get("min") or ""), "", str(f.get("max") or ""), "")
    return table


# drift ---------------------------------------------------------------------------------------
def render_drift(doc: Mapping[str, Any], console: Console) -> None:
    console.print(f"[bold]baseline[/] {doc['baseline']}  ({fmt_number(doc['baseline_rows'])} rows)")
    console.print(f"[bold]current [/] {doc['current']}  ({fmt_number(doc['current_rows'])} rows)\n")
    table = _table("feature", "kind", "status", "severity", "PSI", "test", "statistic", "p-value", "nulls", "why")
    for f in doc["features"]:
        nulls = f"{_pct(f['baseline_null_rate'])} → {_pct(f['current_null_rate'])}"
        table.add_row(f["feature"], f["kind"], f["status"], Text(f["severity"], style=_SEVERITY_STYLES[f["severity"]]),
                      fmt_number(f["psi"]), f["test"] or MISSING, fmt_number(f["statistic"]),
                      fmt_number(f["p_value"]), nulls, "; ".join(f["reasons"]))
    console.print(table)
    drifted = doc["drifted"]
    console.print(f"\n{len(drifted)} drifted feature(s)" + (f": {', '.join(drifted)}" if drifted else ""))


# diff ----------------------------------------------------------------------------------------
def render_diff(doc: Mapping[str, Any], console: Console) -> None:
    a, b = doc["runs"]["a"], doc["runs"]["b"]
    console.print(f"[bold]A[/] {a['run_name']} ({a['run_id'][:SHORT_ID]})   →   "
                  f"[bold]B[/] {b['run_name']} ({b['run_id'][:SHORT_ID]})\n")
    _section(console, "Params", _changes_table(doc["params"]))
    _section(console, "Metrics", _metrics_table(doc["metrics"]["metrics"]))
    _section(console, "Code", _code_view(doc["code"]))
    _section(console, "Data", _data_view(doc["data"]))
    _section(console, "Environment", _environment_view(doc["environment"]))
    if doc["seeds"]:
        _section(console, "Seeds", _pairs_table(doc["seeds"]))
    for note in doc["notes"]:
        console.print(Text(f"note: {note}", style="dim"))


def _changes_table(section: Mapping[str, Any]) -> Any:
    table = _table("key", "A", "B", "")
    for key, value in section["changed"].items():
        table.add_row(key, str(value["a"]), str(value["b"]), Text("changed", style="yellow"))
    for key, value in section["added"].items():
        table.add_row(key, MISSING, str(value), Text("added", style="green"))
    for key, value in section["removed"].items():
        table.add_row(key, str(value), MISSING, Text("removed", style="red"))
    footer = Text(f"{section['unchanged']} unchanged", style="dim")
    return Group(table, footer) if table.row_count else footer


def _metrics_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    if not rows:
        return Text("no metrics", style="dim")
    table = _table("metric", "A", "B", "Δ", "Δ%", "curve A", "curve B")
    for r in rows:
        rel = f"{r['relative']:+.1%}" if r["relative"] is not None else MISSING
        delta = f"{r['delta']:+.6g}" if r["delta"] is not None else MISSING
        table.add_row(r["key"], fmt_number(r["a"]), fmt_number(r["b"]), delta, rel,
                      _curve_text(r.get("curve_a")), _curve_text(r.get("curve_b")))
    return table


def _curve_text(curve: Mapping[str, Any] | None) -> str:
    if not curve or not curve.get("points"):
        return MISSING
    return (f"{curve['points']} pts, min {fmt_number(curve['min'])}@{curve['min_step']}, "
            f"max {fmt_number(curve['max'])}@{curve['max_step']}")


def _code_view(code: Mapping[str, Any]) -> Any:
    table = _table("", "A", "B")
    for key in ("commit", "branch", "dirty", "entry_point"):
        va, vb = code["a"].get(key), code["b"].get(key)
        table.add_row(Text(key, style="dim"), _plain(va), _plain(vb))
    parts: list[Any] = [table]
    if code["git_log"] is not None:
        parts.append(Text(f"\ngit log A..B ({len(code['git_log'])} commits)", style="bold"))
        parts.extend(Text("  " + line) for line in code["git_log"])
    if code["patch_diff"]:
        lines = code["patch_diff"].splitlines()
        shown = "\n".join(lines[:PATCH_LINES_SHOWN])
        parts.append(Text("\nuncommitted changes, A's patch → B's patch", style="bold"))
        parts.append(Syntax(shown, "diff", theme="ansi_dark", background_color="default"))
        if len(lines) > PATCH_LINES_SHOWN:
            parts.append(Text(f"… {len(lines) - PATCH_LINES_SHOWN} more lines in --json", style="dim"))
    return Group(*parts)


def _plain(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)[:40]


def _data_view(rows: Sequence[Mapping[str, Any]]) -> Any:
    if not rows:
        return Text("no datasets logged", style="dim")
    parts: list[Any] = []
    for r in rows:
        digest_a = (r["digest_a"] or MISSING)[:SHORT_DIGEST]
        digest_b = (r["digest_b"] or MISSING)[:SHORT_DIGEST]
        if r["digest_a"] is None or r["digest_b"] is None:
            same = Text(f"only in {'B' if r['digest_a'] is None else 'A'}", style="yellow")
        else:
            same = Text("same data", style="green") if r["same_digest"] else Text("different data", style="yellow")
        line = Text.assemble((f"{r['context'] or 'no context'}: ", "bold"),
                             f"{r['name_a'] or MISSING} @{digest_a} → {r['name_b'] or MISSING} @{digest_b}  ", same)
        parts.append(line)
        if r["row_change"] is not None:
            parts.append(Text(f"  rows {r['rows_a']} → {r['rows_b']} ({r['row_change']:+d})"))
        schema = r.get("schema") or {}
        if schema.get("changed"):
            changes = [f"+{c}" for c in schema["added"]] + [f"-{c}" for c in schema["removed"]]
            changes += [f"{t['name']}: {t['from']}→{t['to']}" for t in schema["type_changed"]]
            parts.append(Text("  schema: " + ", ".join(changes), style="yellow"))
        moved = [m for m in r["moved_features"] if m["severity"] != "none" or (m["psi"] or 0) >= MOVED_PSI]
        if moved:
            parts.append(Text("  moved most: " + ", ".join(
                f"{m['feature']} ({m['severity']}, PSI {fmt_number(m['psi'])})" for m in moved)))
    return Group(*parts)


def _environment_view(env: Mapping[str, Any]) -> Any:
    parts: list[Any] = []
    packages = env.get("packages")
    if packages is not None:
        table = _table("package", "A", "B", "")
        for label, style in (("upgraded", "cyan"), ("downgraded", "magenta"), ("changed", "yellow")):
            for name, pair in list(packages[label].items())[:PACKAGES_SHOWN]:
                table.add_row(name, pair["a"], pair["b"], Text(label, style=style))
        for name, version in list(packages["added"].items())[:PACKAGES_SHOWN]:
            table.add_row(name, MISSING, version, Text("added", style="green"))
        for name, version in list(packages["removed"].items())[:PACKAGES_SHOWN]:
            table.add_row(name, version, MISSING, Text("removed", style="red"))
        parts.append(table if table.row_count else Text("same packages", style="green"))
        parts.append(Text(f"{packages['unchanged']} packages unchanged", style="dim"))
    else:
        parts.append(Text("no environment/requirements.txt recorded", style="dim"))
    differing = {k: v for k, v in env["system"].items() if not v["same"]}
    if differing:
        parts.append(_pairs_table(differing))
    elif env["system"]:
        parts.append(Text("same Python, OS and hardware", style="green"))
    return Group(*parts)


def _pairs_table(pairs: Mapping[str, Mapping[str, Any]]) -> Table:
    table = _table("", "A", "B")
    for key, pair in pairs.items():
        style = "" if pair["same"] else "yellow"
        table.add_row(Text(key, style="dim"), Text(_plain(pair["a"]), style=style), Text(_plain(pair["b"]), style=style))
    return table


# lineage -------------------------------------------------------------------------------------
def render_lineage(doc: Mapping[str, Any], console: Console) -> None:
    nodes = {n["id"]: n for n in doc["nodes"]}
    ups: dict[str, list[Mapping[str, Any]]] = {}
    downs: dict[str, list[Mapping[str, Any]]] = {}
    for e in doc["edges"]:
        ups.setdefault(e["target"], []).append(e)
        downs.setdefault(e["source"], []).append(e)
    for root in doc["roots"]:
        tree = Tree(_node_text(nodes[root], None))
        upstream = tree.add(Text("upstream", style="bold dim"))
        _grow(upstream, root, nodes, ups, "source", set())
        downstream = tree.add(Text("downstream", style="bold dim"))
        _grow(downstream, root, nodes, downs, "target", set())
        console.print(tree)
    for note in doc["notes"]:
        console.print(Text(f"note: {note}", style="dim"))


def _grow(branch: Tree, node_id: str, nodes: Mapping[str, Any], links: Mapping[str, list[Mapping[str, Any]]],
          end: str, seen: set[str]) -> None:
    seen = seen | {node_id}
    if not links.get(node_id) and len(seen) == 1:
        branch.add(Text("nothing recorded", style="dim"))
    for edge in links.get(node_id, []):
        other = edge[end]
        child = branch.add(_node_text(nodes[other], edge))
        if other not in seen:
            _grow(child, other, nodes, links, end, seen)


def _node_text(node: Mapping[str, Any], edge: Mapping[str, Any] | None) -> Text:
    a = node["attributes"]
    text = Text(f"{_KIND_MARKS.get(node['kind'], '•')} ", style="dim")
    text.append(node["label"], style="bold" if edge is None else "")
    if edge is not None and edge["attributes"].get("context"):
        text.append(f"  [{edge['attributes']['context']}]", style="cyan")
    if edge is not None and edge["attributes"].get("dirty"):
        text.append("  (uncommitted changes)", style="yellow")
    if node["kind"] == "dataset" and a.get("rows") is not None:
        text.append(f"  {a['rows']} rows", style="dim")
    if node["kind"] == "run":
        text.append(f"  {a.get('status', '')} {fmt_time(a.get('start_time'))}", style="dim")
    if node["kind"] == "model_version":
        text.append(f"  {a.get('current_stage')}", style="green" if a.get("current_stage") == "Production" else "")
        if a.get("aliases"):
            text.append("  @" + " @".join(a["aliases"]), style="cyan")
        for s in a.get("stages") or []:
            text.append(f"\n    {s['stage']}: {fmt_time(s['start'])} → {fmt_time(s['end']) if s['end'] else 'now'}",
                        style="dim")
    return text
