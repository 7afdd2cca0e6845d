"""Lineage: where a model came from and where a dataset went, as one graph walkable both ways.

Nodes are datasets (by digest), runs, code commits, model versions and deployments; an edge
points downstream: dataset -> run (``input``, with its context), commit -> run (``code``),
parent run -> child run (``parent``; ``reproduced`` and ``branched`` for a re-run of it), run -> model version (``registered``), version ->
deployment (``deployed``). ``build_lineage`` starts at a reference and collects everything
upstream of it (what fed it) and everything downstream (what it fed). Stages a version held are
intervals replayed from the registry's audit trail; a version links to its model's deployment
while it serves one of the deployment's arms (primary, canary, shadow or A/B). A version whose
files are outside Cairn's store, and a run this server does not hold, carry ``external: True``.

It lives in ``registry/`` because that is the lowest layer that knows all four kinds of node:
datasets (``datasets/``), runs (``tracking/``, ``store/``), model versions and deployments (here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cairn.datasets import catalog
from cairn.entities import Dataset, ModelStage, ModelVersion, Run
from cairn.errors import InvalidParameter, NotFound
from cairn.store import runs as run_rows
from cairn.store.database import Database

from .audit import list_audit_events
from .deployments import resolve_plan
from .refs import resolve_model_ref
from .timeline import stage_intervals
from .versions import search_model_versions

PARENT_RUN_TAG = "mlflow.parentRunId"
# A run re-run from another (cairn reproduce) or branched from it with changed params (cairn runs
# branch) is drawn as its child, the edge named for how it was made.
RERUN_TAGS = {"cairn.reproduces": "reproduced", "cairn.branched_from": "branched"}
COMMIT_TAG = "mlflow.source.git.commit"
CONTEXT_TAG = "mlflow.data.context"
MAX_RUNS = 1000
MAX_PARENT_DEPTH = 50
_STAGES_SHOWN = (ModelStage.STAGING.value, ModelStage.PRODUCTION.value)
_MODELS = "models:/"


@dataclass(frozen=True)
class LineageNode:
    id: str
    kind: str  # dataset, run, commit, model_version, deployment
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LineageEdge:
    source: str  # the upstream node
    target: str  # the downstream node
    relation: str  # input, code, parent, reproduced, branched, registered, deployed
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Lineage:
    """The graph around ``roots`` (the nodes the reference named)."""

    roots: list[str]
    nodes: dict[str, LineageNode] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def upstream(self, node_id: str) -> list[LineageNode]:
        return [self.nodes[e.source] for e in self.edges if e.target == node_id]

    def downstream(self, node_id: str) -> list[LineageNode]:
        return [self.nodes[e.target] for e in self.edges if e.source == node_id]

    def model_versions(self, stage: str | None = None, context: str | None = None) -> list[LineageNode]:
        """Versions in the graph, optionally only those now in ``stage`` and (from a dataset)
        registered from runs that used it in ``context``: "which production models were trained
        on this dataset" is ``lineage.model_versions("Production", "training")``."""
        runs = None
        if context is not None:
            runs = {e.target for e in self.edges if e.relation == "input" and e.attributes.get("context") == context}
        found = []
        for edge in self.edges:
            if edge.relation != "registered" or (runs is not None and edge.source not in runs):
                continue
            node = self.nodes[edge.target]
            if stage is None or str(node.attributes.get("current_stage", "")).lower() == stage.lower():
                found.append(node)
        return list({n.id: n for n in found}.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "roots": self.roots,
            "nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "attributes": n.attributes}
                      for n in self.nodes.values()],
            "edges": [{"source": e.source, "target": e.target, "relation": e.relation, "attributes": e.attributes}
                      for e in self.edges],
            "notes": self.notes,
        }

    def to_dot(self) -> str:
        """Graphviz DOT text (``cairn lineage REF --format dot | dot -Tsvg``)."""
        lines = ["digraph lineage {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
        shapes = {"dataset": "cylinder", "run": "box", "commit": "note", "model_version": "component",
                  "deployment": "box3d"}
        for n in self.nodes.values():
            style = ', style=bold' if n.id in self.roots else ""
            lines.append(f"  {json.dumps(n.id)} [label={json.dumps(n.label)}, shape={shapes.get(n.kind, 'ellipse')}{style}];")
        for e in self.edges:
            label = e.attributes.get("context") or e.relation
            lines.append(f"  {json.dumps(e.source)} -> {json.dumps(e.target)} [label={json.dumps(label)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        """Mermaid flowchart text, for Markdown that renders diagrams."""
        ids = {node_id: f"n{i}" for i, node_id in enumerate(self.nodes)}
        brackets = {"dataset": ("[(", ")]"), "run": ("[", "]"), "commit": (">", "]"),
                    "model_version": ("[[", "]]"), "deployment": ("{{", "}}")}
        lines = ["flowchart LR"]
        for node_id, n in self.nodes.items():
            left, right = brackets.get(n.kind, ("(", ")"))
            lines.append(f'  {ids[node_id]}{left}"{_mermaid_text(n.label)}"{right}')
        for e in self.edges:
            label = e.attributes.get("context") or e.relation
            lines.append(f"  {ids[e.source]} -->|{_mermaid_text(str(label))}| {ids[e.target]}")
        return "\n".join(lines) + "\n"


def build_lineage(db: Database, ref: str, max_runs: int = MAX_RUNS) -> Lineage:
    """The lineage of ``ref``: ``models:/NAME/VERSION`` (or ``@alias``, ``/Production``), a run
    id (``run:ID`` to be explicit), or a dataset digest, digest prefix or name (``dataset:REF``).

    Raises ``NotFound`` when ``ref`` names nothing.
    """
    walk = _Walk(db, max_runs)
    kind, target = _resolve(db, ref)
    if kind == "version":
        root = walk.add_version(target)
        walk.roots.append(root)
        run_id = target.run_id
        if run_id:
            runs = walk.load_runs([run_id])
            if runs:
                walk.add_run(runs[0])
                walk.edge(f"run:{run_id}", root, "registered")
                walk.upstream_of_runs(runs)
            else:  # registered from a run this server does not hold: shown, marked external
                walk.node(LineageNode(f"run:{run_id}", "run", f"external run ({run_id[:8]})",
                                      {"run_id": run_id, "external": True}))
                walk.edge(f"run:{run_id}", root, "registered")
        walk.deployments_of(target, root)
    elif kind == "run":
        walk.roots.append(walk.add_run(target))
        walk.upstream_of_runs([target])
        walk.downstream_of_runs([target])
    else:
        for record in target:
            node = walk.add_dataset(record.dataset)
            if node not in walk.roots:
                walk.roots.append(node)
        uses = catalog.dataset_uses(db, target)
        if len(uses) > max_runs:
            walk.lineage.notes.append(f"showing the first {max_runs} of {len(uses)} runs that used the dataset")
            uses = uses[:max_runs]
        runs = {r.run_id: r for r in walk.load_runs(list(dict.fromkeys(u.run_id for u in uses)))}
        for use in uses:
            if use.run_id in runs:
                walk.add_run(runs[use.run_id])
                walk.edge(f"dataset:{use.digest}", f"run:{use.run_id}", "input", context=use.context)
        walk.downstream_of_runs(list(runs.values()))
    return walk.lineage


def _resolve(db: Database, ref: str) -> tuple[str, Any]:
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidParameter("Name what to trace: a dataset, a run id, or models:/NAME/VERSION.")
    text = ref.strip()
    if text.startswith(_MODELS):
        return "version", resolve_model_ref(db, text)
    prefix, _, rest = text.partition(":")
    explicit = prefix if rest and prefix in ("run", "dataset") else None
    body = rest if explicit else text
    if explicit != "dataset":
        with db.read() as tx:
            found = run_rows.load_runs(tx, [body])
        if found:
            return "run", found[0]
        if explicit == "run":
            raise NotFound(f"No run with id '{body}'.")
    records = catalog.find_datasets(db, body)
    if not records:
        raise NotFound(f"Nothing named '{ref}': not a run id, a dataset digest or name, or a models:/ reference.")
    return "dataset", records


class _Walk:
    def __init__(self, db: Database, max_runs: int) -> None:
        self.db, self.max_runs = db, max_runs
        self.lineage = Lineage(roots=[])
        self.roots = self.lineage.roots
        self._edges: set[tuple[str, str, str]] = set()
        self._intervals: dict[str, list[Any]] = {}

    def node(self, node: LineageNode) -> str:
        self.lineage.nodes.setdefault(node.id, node)
        return node.id

    def edge(self, source: str, target: str, relation: str, **attributes: Any) -> None:
        if (source, target, relation) not in self._edges:
            self._edges.add((source, target, relation))
            self.lineage.edges.append(LineageEdge(source, target, relation, {k: v for k, v in attributes.items()}))

    def load_runs(self, run_ids: list[str]) -> list[Run]:
        with self.db.read() as tx:
            return run_rows.load_runs(tx, run_ids)

    def add_dataset(self, d: Dataset) -> str:
        profile = json.loads(d.profile) if d.profile else None
        return self.node(LineageNode(f"dataset:{d.digest}", "dataset", f"{d.name} @{d.digest[:12]}", {
            "name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source,
            "rows": (profile or {}).get("num_rows"),
        }))

    def add_run(self, run: Run) -> str:
        info = run.info
        return self.node(LineageNode(f"run:{run.run_id}", "run", f"{info.run_name} ({run.run_id[:8]})", {
            "run_id": run.run_id, "run_name": info.run_name, "experiment_id": info.experiment_id,
            "status": info.status, "start_time": info.start_time, "end_time": info.end_time,
            "lifecycle_stage": info.lifecycle_stage, "commit": run.data.tags.get(COMMIT_TAG),
        }))

    def add_version(self, version: ModelVersion) -> str:
        node_id = f"model_version:{version.name}/{version.version}"
        stages = [
            {"stage": i.label, "start": i.start, "end": i.end}
            for i in self._stage_intervals(version.name) if i.version == version.version
        ]
        return self.node(LineageNode(node_id, "model_version", f"{version.name} v{version.version}", {
            "name": version.name, "version": version.version, "current_stage": version.current_stage,
            "aliases": list(version.aliases), "run_id": version.run_id, "created": version.creation_timestamp,
            "stages": stages, "source": version.source, "external": version.external,
        }))

    def upstream_of_runs(self, runs: list[Run]) -> None:
        pending, depth = list(runs), 0
        while pending and depth <= MAX_PARENT_DEPTH:
            parents: list[str] = []
            for run in pending:
                run_node = self.add_run(run)
                for item in run.inputs:
                    self.edge(self.add_dataset(item.dataset), run_node, "input", context=item.tags.get(CONTEXT_TAG))
                commit = run.data.tags.get(COMMIT_TAG)
                if commit:
                    dirty = run.data.tags.get("cairn.git.dirty") == "true"
                    self.node(LineageNode(f"commit:{commit}", "commit", commit[:10], {
                        "commit": commit, "repo_url": run.data.tags.get("mlflow.source.git.repoURL"),
                        "branch": run.data.tags.get("mlflow.source.git.branch")}))
                    self.edge(f"commit:{commit}", run_node, "code", dirty=dirty)
                parent = run.data.tags.get(PARENT_RUN_TAG)
                if parent and f"run:{parent}" not in self.lineage.nodes:
                    parents.append(parent)
                if parent:
                    self.edge(f"run:{parent}", run_node, "parent")
                for tag, relation in RERUN_TAGS.items():
                    origin = run.data.tags.get(tag)
                    if origin and f"run:{origin}" not in self.lineage.nodes:
                        parents.append(origin)
                    if origin:
                        self.edge(f"run:{origin}", run_node, relation)
            pending = self.load_runs(parents) if parents else []
            depth += 1

    def downstream_of_runs(self, runs: list[Run]) -> None:
        for run in runs[: self.max_runs]:
            token: str | None = None
            while True:
                page = search_model_versions(self.db, run_id=run.run_id, max_results=1000, page_token=token)
                for version in page.items:
                    node = self.add_version(version)
                    self.edge(f"run:{run.run_id}", node, "registered")
                    self.deployments_of(version, node)
                token = page.next_page_token
                if not token:
                    break

    def deployments_of(self, version: ModelVersion, version_node: str) -> None:
        """A ``deployed`` edge to the model's deployment when ``version`` serves one of its arms now."""
        try:
            plan = resolve_plan(self.db, version.name)
        except NotFound:  # nothing in Production and no primary alias: nothing is served
            return
        served = [(arm, share) for arm, (number, share) in plan.arm_shares().items() if number == version.version]
        if not served:
            return
        arm, share = served[0]
        node = self.node(LineageNode(f"deployment:{version.name}", "deployment", f"deployment {version.name}",
                                     {"primary": plan.primary_ref, "revision": plan.revision}))
        self.edge(version_node, node, "deployed", arm=arm, share=share)

    def _stage_intervals(self, model: str) -> list[Any]:
        if model not in self._intervals:
            try:
                events = list_audit_events(self.db, model)
            except NotFound:
                events = []
            self._intervals[model] = [i for stage in _STAGES_SHOWN for i in stage_intervals(events, stage)]
        return self._intervals[model]


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")
