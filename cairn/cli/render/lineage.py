"""``cairn lineage`` drawn: a tree per root, upstream (what fed it) and downstream (what it fed).

Takes the same dict ``--json`` prints; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from cairn.cli.render.format import fmt_time

_KIND_MARKS = {"dataset": "🗄", "run": "▶", "commit": "⎇", "model_version": "◆", "deployment": "🚀"}


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
