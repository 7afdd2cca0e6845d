"""``cairn runs list`` and ``cairn runs show`` drawn: the runs table that fits the terminal, and
one run's panel, metric charts, code, environment, seeds, tags and artifact tree.

Every function takes the same dict ``--json`` would print and a Console to draw on; nothing here
reads the store, so what a person sees and what a script parses cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cairn.cli.render import layout
from cairn.cli.render.format import (
    MISSING,
    SHORT_ID,
    fmt_bytes,
    fmt_count,
    fmt_duration,
    fmt_number,
    fmt_time,
    status_text,
)
from cairn.cli.render.sparklines import sparkline

MAX_TREE_ENTRIES = 200
_KEY_WIDTH_CAP = 30
_NAME_WIDTH_CAP = 24
_COLUMN_GAP = 2  # Table(box=None) pads each cell by one space on both sides


# runs ----------------------------------------------------------------------------------------
def render_runs(doc: Mapping[str, Any], console: Console) -> None:
    """A table of runs; param and metric columns are added while they fit the terminal, so values
    are never cut short (the caption names what was left out)."""
    runs = doc["runs"]
    if not runs:
        console.print("No runs match.")
        return
    names = {e["experiment_id"]: e["name"] for e in doc["experiments"]}
    columns: list[_Column] = [
        _Column("Run ID", [r["run_id"][:SHORT_ID] for r in runs]),
        _Column("Name", [r["run_name"] for r in runs], style="bold", max_width=_NAME_WIDTH_CAP),
    ]
    if len({r["experiment_id"] for r in runs}) > 1:
        columns.append(_Column("Experiment", [names.get(r["experiment_id"], r["experiment_id"]) for r in runs],
                               max_width=_NAME_WIDTH_CAP))
    columns += [
        _Column("Status", [status_text(r["status"]) for r in runs]),
        _Column("Start", [fmt_time(r["start_time"], seconds=False) for r in runs]),
        _Column("Duration", [fmt_duration(r["duration_ms"]) for r in runs], justify="right"),
    ]
    values = [
        _Column(k, [fmt_number(r["metrics"].get(k)) for r in runs], justify="right", style="cyan", kind="metric")
        for k in sorted({k for r in runs for k in r["metrics"]})
    ] + [
        _Column(k, [r["params"].get(k, MISSING) for r in runs], max_width=_NAME_WIDTH_CAP, kind="param")
        for k in sorted({k for r in runs for k in r["params"]})
    ]
    used = sum(c.width for c in columns) + _COLUMN_GAP * (len(columns) - 1)
    left_out: list[str] = []
    for column in values:
        if not left_out and used + _COLUMN_GAP + column.width <= console.width:
            columns.append(column)
            used += _COLUMN_GAP + column.width
        else:
            left_out.append(f"{column.kind}s.{column.header}")

    table = Table(box=None, header_style="bold", pad_edge=False, caption_justify="left")
    for c in columns:
        # Two header lines: the kind (metric or param) above the key, so keys need no prefix.
        header = Text.assemble((c.kind, "dim"), "\n", c.header)
        table.add_column(header, justify=c.justify, style=c.style, no_wrap=c.max_width is None,
                         max_width=c.max_width, overflow="fold")
    for row in zip(*(c.cells for c in columns)):
        table.add_row(*row)
    notes = []
    if left_out:
        notes.append(f"Not shown (too wide): {', '.join(left_out)}. Use --json, or a wider terminal.")
    if doc["has_more"]:
        notes.append("More runs match; raise --max to see them.")
    table.caption = " ".join(notes) or None
    console.print(table)


class _Column:
    def __init__(self, header: str, cells: Sequence[str | Text], justify: Any = "left", style: str = "",
                 max_width: int | None = None, kind: str = "") -> None:
        self.header, self.cells, self.justify, self.style = header, cells, justify, style
        self.max_width, self.kind = max_width, kind
        natural = max([len(header), len(kind), *(len(c) for c in cells)])
        self.width = natural if max_width is None else min(natural, max_width)


# one run -------------------------------------------------------------------------------------
def chart_width(console_width: int, metric_keys: Sequence[str]) -> int:
    """How many characters a metric's sparkline gets beside its key on this terminal."""
    key_width = min(max((len(k) for k in metric_keys), default=0), _KEY_WIDTH_CAP)
    return max(10, console_width - key_width - 4)


def render_run_detail(doc: Mapping[str, Any], console: Console) -> None:
    run = doc["run"]
    console.print(_run_header(run))
    layout.section(console, "Params", _key_values(doc["params"]) if doc["params"] else None)
    layout.section(console, "Metrics", _metric_charts(doc["metrics"]) if doc["metrics"] else None)
    layout.section(console, "Code", _code_summary(doc["code"]))
    layout.section(console, "Environment", _environment_summary(doc["environment"]))
    layout.section(console, "Seeds", _seeds_summary(doc["seeds"]))
    layout.section(console, "Tags", _tags_table(doc["tags"]))
    layout.section(console, "Artifacts", _artifact_tree(doc["artifacts"]))


def _run_header(run: Mapping[str, Any]) -> Panel:
    rows = {
        "run id": run["run_id"],
        "experiment": f"{run['experiment_name']} ({run['experiment_id']})",
        "status": status_text(run["status"]),
        "user": run["user_id"],
        "started": fmt_time(run["start_time"]),
        "ended": fmt_time(run["end_time"]),
        "duration": fmt_duration(run["duration_ms"]),
        "artifacts": run["artifact_uri"],
    }
    if run["lifecycle_stage"] != "active":
        rows["stage"] = Text(run["lifecycle_stage"], style="red")
    if run["parent_run_id"]:
        rows["parent run"] = run["parent_run_id"]
    if run["description"]:
        rows["description"] = run["description"]
    return Panel(_key_values(rows), title=Text(f"Run {run['run_name']}", style="bold"),
                 title_align="left", expand=False)


def _key_values(rows: Mapping[str, Any]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows.items():
        grid.add_row(key, value if isinstance(value, Text) else _plain(value))
    return grid


def _plain(value: Any) -> Text:
    return Text(fmt_number(value) if not isinstance(value, str) else value)


def _metric_charts(metrics: Mapping[str, Mapping[str, Any]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", max_width=_KEY_WIDTH_CAP, overflow="fold")
    grid.add_column()
    for key, m in metrics.items():
        first, last = m["first_step"], m["last_step"]
        steps = "no history" if not m["points"] else f"step {last}" if first == last else f"steps {first}–{last}"
        facts = (f"last {fmt_number(m['value'])} · min {fmt_number(m['min'])} · "
                 f"max {fmt_number(m['max'])} · {steps} ({fmt_count(m['points'], 'point')})")
        grid.add_row(key, Text(facts))
        grid.add_row("", Text(sparkline(m["curve"]), style="cyan", no_wrap=True, overflow="crop"))
    return grid


def _code_summary(code: Mapping[str, Any]) -> Table | None:
    rows: dict[str, Any] = {}
    if code["git"] is False:
        rows["git"] = "no repository (or no git) where the run started"
    if code["commit"]:
        rows["commit"] = code["commit"]
    if code["branch"]:
        rows["branch"] = code["branch"]
    if code["remote"]:
        rows["remote"] = code["remote"]
    if code["dirty"] is not None:
        rows["dirty"] = _dirty_text(code)
    if code["entry_point"]:
        rows["entry point"] = code["entry_point"]
    if code["command"]:
        rows["command"] = code["command"]
    return _key_values(rows) if rows else None


def _dirty_text(code: Mapping[str, Any]) -> Text:
    if not code["dirty"]:
        return Text("no (clean working tree)", style="green")
    text = Text("yes", style="yellow")
    diff = code["diff"]
    if diff is not None:
        names = ", ".join(diff["files"][:5]) + (" …" if len(diff["files"]) > 5 else "")
        text.append(f" — {fmt_count(len(diff['files']), 'file')} changed, ")
        text.append(f"+{diff['added']}", style="green")
        text.append(" ")
        text.append(f"-{diff['removed']}", style="red")
        text.append(f" lines ({diff['artifact']}): {names}")
    elif code["files_changed"] is not None:
        text.append(f" — {fmt_count(code['files_changed'], 'file')} changed")
    return text


def _environment_summary(env: Mapping[str, Any]) -> Table | None:
    rows: dict[str, Any] = {}
    if env["python"]:
        impl = f" ({env['python_implementation']})" if env["python_implementation"] else ""
        rows["python"] = env["python"] + impl
    if env["os"] or env["kernel"]:
        rows["os"] = " ".join(v for v in (env["os"], env["kernel"] and f"(kernel {env['kernel']})") if v)
    if env["cpu"] or env["cpu_count"]:
        count = f" × {env['cpu_count']}" if env["cpu_count"] else ""
        rows["cpu"] = f"{env['cpu'] or 'unknown model'}{count}"
    if env["ram_gib"] is not None:
        rows["ram"] = f"{env['ram_gib']} GiB"
    if env["gpus"]:
        rows["gpus"] = env["gpus"]
    if env["hostname"]:
        rows["host"] = env["hostname"]
    if env["user"]:
        rows["user"] = env["user"]
    if env["packages"] is not None:
        where = f" (pinned in {env['requirements_artifact']})" if env["requirements_artifact"] else ""
        rows["packages"] = f"{env['packages']}{where}"
    if env["key_packages"]:
        rows["key packages"] = ", ".join(f"{k}=={v}" for k, v in env["key_packages"].items())
    return _key_values(rows) if rows else None


def _seeds_summary(seeds: Mapping[str, Any]) -> Table | None:
    if seeds["seed"] is None:
        return None
    rows: dict[str, Any] = {"seed": str(seeds["seed"])}
    if seeds["libraries"]:
        rows["seeded"] = ", ".join(seeds["libraries"])
    return _key_values(rows)


def _tags_table(groups: Mapping[str, Mapping[str, str]]) -> Table | None:
    if not any(groups.values()):
        return None
    table = Table(box=None, header_style="bold", pad_edge=False, show_header=False)
    table.add_column(style="magenta", no_wrap=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for group, tags in groups.items():
        for i, (key, value) in enumerate(tags.items()):
            table.add_row(group if i == 0 else "", key, value)
    return table


def _artifact_tree(artifacts: Mapping[str, Any]) -> Tree | None:
    files = artifacts["files"]
    if not files:
        return None
    label = f"{fmt_count(artifacts['count'], 'file')}, {fmt_bytes(artifacts['total_bytes'])}"
    tree = Tree(Text(label, style="bold"))
    nodes: dict[str, Tree] = {"": tree}
    sizes: dict[str, int] = {}
    for f in files:
        parts = f["path"].split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            sizes[folder] = sizes.get(folder, 0) + (f["size"] or 0)
    for shown, f in enumerate(files):
        if shown == MAX_TREE_ENTRIES:
            tree.add(Text(f"… {len(files) - shown} more files (cairn artifacts list)", style="dim"))
            break
        parts = f["path"].split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in nodes:
                parent = nodes["/".join(parts[:depth - 1])]
                label = f"{parts[depth - 1]}/  {fmt_bytes(sizes[folder])}"
                nodes[folder] = parent.add(Text(label, style="bold"))
        nodes["/".join(parts[:-1])].add(Text(f"{parts[-1]}  {fmt_bytes(f['size'])}"))
    return tree
