"""The lineage graph laid out for a small server-drawn SVG: dataset -> run -> version -> deployment.

Layered left to right: a node's column is the length of the longest path reaching it (datasets
and commits first, then parent runs, runs, versions, deployments), rows in a column sorted by kind
then label. Edges are curves from a node's right side to the next one's left. The template draws
the shapes; this module only places them, so a report and a page draw the same picture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cairn.registry.lineage import Lineage

NODE_WIDTH = 210
NODE_HEIGHT = 46
COLUMN_GAP = 70
ROW_GAP = 18
MARGIN = 8
MAX_LABEL_CHARS = 28
MAX_NODES_DRAWN = 80
_KIND_ORDER = {"dataset": 0, "commit": 1, "run": 2, "model_version": 3, "deployment": 4}
KIND_NAMES = {"dataset": "dataset", "commit": "commit", "run": "run", "model_version": "model version",
              "deployment": "deployment"}

Linker = Callable[[str, str, dict[str, object]], str | None]  # (kind, node id, attributes) -> URL


@dataclass(frozen=True)
class PlacedNode:
    id: str
    kind: str
    label: str  # shortened to fit the box
    full_label: str
    detail: str  # the second line: a context, a stage, rows
    x: float
    y: float
    href: str | None
    is_root: bool


@dataclass(frozen=True)
class PlacedEdge:
    path: str  # SVG path data
    label: str
    label_x: float
    label_y: float
    dashed: bool  # an edge that only points (a commit, a parent run)


@dataclass
class LineageDrawing:
    width: float
    height: float
    nodes: list[PlacedNode] = field(default_factory=list)
    edges: list[PlacedEdge] = field(default_factory=list)
    left_out: int = 0  # nodes beyond MAX_NODES_DRAWN
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT


def layout(graph: Lineage, link: Linker | None = None) -> LineageDrawing | None:
    """Where each node and edge goes; None for an empty graph."""
    ids = list(graph.nodes)[:MAX_NODES_DRAWN]
    if not ids:
        return None
    kept = set(ids)
    edges = [e for e in graph.edges if e.source in kept and e.target in kept]
    rank = _ranks(ids, [(e.source, e.target) for e in edges])
    columns: dict[int, list[str]] = {}
    for node_id in sorted(ids, key=lambda n: (_KIND_ORDER.get(graph.nodes[n].kind, 9), graph.nodes[n].label)):
        columns.setdefault(rank[node_id], []).append(node_id)
    tallest = max(len(c) for c in columns.values())
    height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    width = MARGIN * 2 + len(columns) * NODE_WIDTH + (len(columns) - 1) * COLUMN_GAP
    drawing = LineageDrawing(width, height, left_out=len(graph.nodes) - len(ids))
    where: dict[str, tuple[float, float]] = {}
    for index, column in enumerate(sorted(columns)):
        members = columns[column]
        top = (height - (len(members) * NODE_HEIGHT + (len(members) - 1) * ROW_GAP)) / 2
        for row, node_id in enumerate(members):
            x, y = MARGIN + index * (NODE_WIDTH + COLUMN_GAP), top + row * (NODE_HEIGHT + ROW_GAP)
            where[node_id] = (x, y)
            node = graph.nodes[node_id]
            drawing.nodes.append(PlacedNode(
                node_id, node.kind, _short(node.label), node.label, _short(_detail(node.kind, node.attributes), 34), x, y,
                link(node.kind, node_id, dict(node.attributes)) if link else None, node_id in graph.roots))
    for e in edges:
        (x1, y1), (x2, y2) = where[e.source], where[e.target]
        start_x, start_y, end_x, end_y = x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2, x2, y2 + NODE_HEIGHT / 2
        bend = max(20.0, (end_x - start_x) / 2)
        path = (f"M{start_x:.1f},{start_y:.1f} C{start_x + bend:.1f},{start_y:.1f} "
                f"{end_x - bend:.1f},{end_y:.1f} {end_x:.1f},{end_y:.1f}")
        label = str(e.attributes.get("context") or e.attributes.get("arm") or e.relation)
        drawing.edges.append(PlacedEdge(path, label, (start_x + end_x) / 2, (start_y + end_y) / 2 - 4,
                                        e.relation in ("code", "parent")))
    return drawing


def _ranks(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from a source to each node (a cycle, which lineage never has, is cut)."""
    rank = dict.fromkeys(ids, 0)
    for _ in range(len(ids)):
        changed = False
        for source, target in edges:
            if rank[target] < rank[source] + 1 <= len(ids):
                rank[target] = rank[source] + 1
                changed = True
        if not changed:
            break
    used = sorted(set(rank.values()))
    dense = {r: i for i, r in enumerate(used)}
    return {n: dense[r] for n, r in rank.items()}


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _detail(kind: str, a: dict[str, object]) -> str:
    if kind == "dataset":
        return f"{a['rows']:,} rows" if isinstance(a.get("rows"), int) else str(a.get("source_type") or "dataset")
    if kind == "run":
        return "external run" if a.get("external") else str(a.get("status") or "run")
    if kind == "model_version":
        aliases = " ".join(f"@{x}" for x in a.get("aliases") or [])  # type: ignore[attr-defined]
        return f"{a.get('current_stage')} {aliases}".strip()
    if kind == "commit":
        return str(a.get("branch") or "commit")
    if kind == "deployment":  # the primary's reference without the model's name: Production, @champion
        ref = str(a.get("primary") or "")
        return "primary " + ("@" + ref.split("@", 1)[1] if "@" in ref else ref.rsplit("/", 1)[-1])
    return kind
