"""``cairn diff`` drawn: what changed from run A to run B in params, metrics, code (commits and
the uncommitted patch), data, environment and seeds.

Takes the same dict ``--json`` prints; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from cairn.cli.render.format import MISSING, SHORT_DIGEST, SHORT_ID, fmt_number
from cairn.cli.render.layout import data_section, data_table

PATCH_LINES_SHOWN = 80
PACKAGES_SHOWN = 25
MOVED_PSI = 0.01  # below this a feature's distribution did not visibly move


def render_diff(doc: Mapping[str, Any], console: Console) -> None:
    a, b = doc["runs"]["a"], doc["runs"]["b"]
    console.print(f"[bold]A[/] {a['run_name']} ({a['run_id'][:SHORT_ID]})   →   "
                  f"[bold]B[/] {b['run_name']} ({b['run_id'][:SHORT_ID]})\n")
    data_section(console, "Params", _changes_table(doc["params"]))
    data_section(console, "Metrics", _metrics_table(doc["metrics"]["metrics"]))
    worst = doc["metrics"].get("worst_slices") or {}
    if worst.get("a") or worst.get("b"):
        data_section(console, "Worst slices", _worst_slices_table(worst))
    data_section(console, "Code", _code_view(doc["code"]))
    data_section(console, "Data", _data_view(doc["data"]))
    data_section(console, "Environment", _environment_view(doc["environment"]))
    if doc["seeds"]:
        data_section(console, "Seeds", _pairs_table(doc["seeds"]))
    for note in doc["notes"]:
        console.print(Text(f"note: {note}", style="dim"))


def _changes_table(section: Mapping[str, Any]) -> Any:
    table = data_table("key", "A", "B", "")
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
    table = data_table("metric", "A", "B", "Δ", "Δ%", "curve A", "curve B")
    for r in rows:
        rel = f"{r['relative']:+.1%}" if r["relative"] is not None else MISSING
        delta = f"{r['delta']:+.6g}" if r["delta"] is not None else MISSING
        table.add_row(r["key"], fmt_number(r["a"]), fmt_number(r["b"]), delta, rel,
                      _curve_text(r.get("curve_a")), _curve_text(r.get("curve_b")))
    return table


def _worst_slices_table(worst: Mapping[str, Sequence[Mapping[str, Any]]]) -> Any:
    table = data_table("run", "metric", "slice", "value", "rows")
    for side in ("a", "b"):
        for s in worst.get(side) or []:
            table.add_row(side.upper(), s["metric"], s["slice"], fmt_number(s["value"]), f"{s['rows']:,}")
    return table


def _curve_text(curve: Mapping[str, Any] | None) -> str:
    if not curve or not curve.get("points"):
        return MISSING
    return (f"{curve['points']} pts, min {fmt_number(curve['min'])}@{curve['min_step']}, "
            f"max {fmt_number(curve['max'])}@{curve['max_step']}")


def _code_view(code: Mapping[str, Any]) -> Any:
    table = data_table("", "A", "B")
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
        table = data_table("package", "A", "B", "")
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
    table = data_table("", "A", "B")
    for key, pair in pairs.items():
        style = "" if pair["same"] else "yellow"
        table.add_row(Text(key, style="dim"), Text(_plain(pair["a"]), style=style), Text(_plain(pair["b"]), style=style))
    return table
