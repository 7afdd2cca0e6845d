"""Everything recorded about one model version, for its page and its model-risk report.

What went into it (the source run, code, params, metrics overall and per slice, datasets with
digests, environment, seeds, signature, files), how it was governed (policy, gate results, sign-off
requests and their decisions, the audit events), when it served (the model's production timeline)
and its lineage (dataset -> run -> version -> deployment).

It reads only through ``Client`` calls, the ones ``cairn models show`` makes
(``resolve_model_version``, ``timeline``, ``audit``, ``get_run``...) plus ``lineage``,
``get_policy`` and ``list_transition_requests``: the web UI hands in a ``Client`` over its
server's own store, ``cairn models report`` the command's client (embedded or a server), so the
page and the report say the same thing. The keys shared with ``cairn models show --json``
(``version``, ``trained``, ``shipped``, ``params``, ``metrics``, ``code``, ``environment``,
``seeds``, ``datasets``, ``artifacts``) carry the same shapes.
"""

from __future__ import annotations

import posixpath
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.client.version_facts import interval_doc
from cairn.client.version_facts import shipped as _shipped
from cairn.client.version_facts import source_run as _source_run
from cairn.client.version_facts import trained as _trained
from cairn.entities import (
    AuditEvent,
    FileInfo,
    ModelVersion,
    Run,
    TimelineInterval,
)
from cairn.errors import CairnError, NotFound
from cairn.registry.actions import SIGNOFF_REQUESTED
from cairn.registry.audit import event_payload, gate_payload
from cairn.registry.gates import SIGNOFF as SIGNOFF_GATE
from cairn.registry.lineage import Lineage
from cairn.registry.model_files import MAX_MLMODEL_BYTES, MLMODEL_FILE
from cairn.registry.policies import policy_to_dict
from cairn.tracking.run_context import (
    DIFF_ARTIFACT,
    REQUIREMENTS_ARTIFACT,
    code_view,
    environment_view,
    parse_requirements,
    seeds_view,
)

if TYPE_CHECKING:
    from cairn.client.client import Client

MAX_AUDIT_EVENTS = 500
MAX_MODEL_FILES = 2000
MAX_TEXT_BYTES = 512 * 1024  # of the diff and requirements artifacts read for the page
# A metric recorded per slice is keyed ``slice/<slice>/<metric>``: ``slice/country:FR/auc``, or
# ``slice/country:FR/channel:web/auc`` for a slice over two columns; the slice's row count, when
# recorded, is its metric ``rows``.
SLICE_PREFIX = "slice/"
SLICE_ROWS = "rows"
CONTEXT_TAG = "mlflow.data.context"


@dataclass
class Dossier:
    """``doc`` is JSON-ready; the timeline intervals and the lineage graph ride along as objects
    for drawing."""

    doc: dict[str, Any]
    intervals: list[TimelineInterval] = field(default_factory=list)
    lineage: Lineage | None = None


def build_dossier(client: Client, name: str, version: int) -> Dossier:
    """The dossier of ``name`` version ``version``; ``NotFound`` when either is missing."""
    found = client.resolve_model_version(f"{name}/{version}")
    model = client.get_registered_model(found.name)
    intervals = client.timeline(found.name)
    events = _events(client, found)
    run = _source_run(client, found)
    files = _model_files(client, found)
    lineage = _lineage(client, found)
    metrics = {k: m.value for k, m in sorted(run.data.metrics.items())} if run else {}
    texts = _run_texts(client, run)
    requests = [r for r in client.list_transition_requests(found.name, None) if r.version == found.version]
    doc = {
        "model": {"name": model.name, "description": model.description, "aliases": dict(model.aliases),
                  "tags": dict(sorted(model.tags.items()))},
        "version": version_doc(found),
        "external": found.external,
        "trained": _trained(client, run),
        "shipped": _shipped(found, intervals),
        "params": dict(sorted(run.data.params.items())) if run else {},
        "metrics": {k: v for k, v in metrics.items() if not k.startswith(SLICE_PREFIX)},
        "slices": slice_table(metrics),
        "code": code_view(run.data.tags, texts.get(DIFF_ARTIFACT)) if run else None,
        "diff_text": texts.get(DIFF_ARTIFACT),
        "environment": environment_view(run.data.tags, texts.get(REQUIREMENTS_ARTIFACT)) if run else None,
        "packages": sorted(parse_requirements(texts[REQUIREMENTS_ARTIFACT]).items())
        if REQUIREMENTS_ARTIFACT in texts else [],
        "seeds": seeds_view(run.data.tags) if run else None,
        "datasets": [
            {"name": d.dataset.name, "digest": d.dataset.digest, "source_type": d.dataset.source_type,
             "source": d.dataset.source, "context": d.tags.get(CONTEXT_TAG), "rows": _rows_of(lineage, d.dataset.digest)}
            for d in (run.inputs if run else [])
        ],
        "signature": _signature(client, found, files),
        "artifacts": {"files": [{"path": f.path, "size": f.file_size} for f in files if not f.is_dir],
                      "count": sum(not f.is_dir for f in files),
                      "total_bytes": sum(f.file_size or 0 for f in files if not f.is_dir)},
        "policy": {"scope": client.get_policy_scope(found.name), **policy_to_dict(client.get_policy(found.name))},
        "gates": [{**event_payload(e), "verdict": _verdict(e)} for e in events if e.gate_results],
        "requests": [{
            "request_id": r.request_id, "from": r.from_stage, "to": r.to_stage, "requested_by": r.requested_by,
            "requested_time": r.requested_time, "reason": r.reason, "status": r.status, "decided_by": r.decided_by,
            "decided_time": r.decided_time, "comment": r.decision_comment,
            "gate_results": [gate_payload(g) for g in r.gate_results]} for r in requests],
        "events": [event_payload(e) for e in events],
        "timeline": [interval_doc(i) for i in intervals],
        "deployments": _deployments(lineage),
        "lineage": lineage.to_dict() if lineage is not None else None,
    }
    return Dossier(doc, intervals, lineage)


def version_doc(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name, "version": v.version, "stage": v.current_stage, "aliases": list(v.aliases),
        "status": v.status, "source": v.source, "run_id": v.run_id, "user_id": v.user_id,
        "description": v.description, "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp, "artifacts_retained_until": v.artifacts_retained_until,
        "tags": dict(sorted(v.tags.items())),
    }


def slice_table(metrics: dict[str, float]) -> dict[str, Any]:
    """Slice metrics as a table: one row per slice (with its row count when recorded), one column
    per metric."""
    rows: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        if not key.startswith(SLICE_PREFIX):
            continue
        slice_name, _, metric = key[len(SLICE_PREFIX):].rpartition("/")
        if slice_name and metric:
            rows.setdefault(slice_name, {})[metric] = value
    columns = sorted({m for values in rows.values() for m in values if m != SLICE_ROWS})
    return {"columns": columns, "rows": [
        {"slice": name, "rows": values.get(SLICE_ROWS), "metrics": {m: values.get(m) for m in columns}}
        for name, values in sorted(rows.items())]}


def _events(client: Client, version: ModelVersion) -> list[AuditEvent]:
    """The version's own events, and the model's (policy, deployment) among its latest; newest first."""
    own = client.audit(version.name, version.version, max_results=MAX_AUDIT_EVENTS, newest_first=True)
    model_wide = [e for e in client.audit(version.name, max_results=MAX_AUDIT_EVENTS, newest_first=True)
                  if e.version is None]
    return sorted([*own, *model_wide], key=lambda e: e.event_id, reverse=True)


def _verdict(event: AuditEvent) -> str:
    """passed, failed, or waiting (a sign-off request: every gate but the sign-off itself passed)."""
    failed = [g.name for g in event.gate_results if not g.passed]
    if not failed:
        return "passed"
    return "waiting" if event.action == SIGNOFF_REQUESTED and failed == [SIGNOFF_GATE] else "failed"


def _run_texts(client: Client, run: Run | None) -> dict[str, str]:
    """The run's diff and requirements artifacts (their first ``MAX_TEXT_BYTES``), when it has them."""
    found: dict[str, str] = {}
    if run is None:
        return found
    for path in (DIFF_ARTIFACT, REQUIREMENTS_ARTIFACT):
        text = read_run_text(client, run.run_id, path)
        if text is not None:
            found[path] = text
    return found


def read_run_text(client: Client, run_id: str, path: str, limit: int = MAX_TEXT_BYTES) -> str | None:
    """The first ``limit`` bytes of a run's text artifact, or None when the run has no such file."""
    try:
        listed = client.list_artifacts(run_id, posixpath.dirname(path))
    except NotFound:
        return None
    if not any(f.path == path and not f.is_dir for f in listed):
        return None
    with tempfile.TemporaryDirectory(prefix="cairn-ui-") as tmp:
        local = client.download_artifacts(run_id, path, dst_path=tmp)
        with open(local, "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")


def _model_files(client: Client, version: ModelVersion) -> list[FileInfo]:
    found: list[FileInfo] = []
    pending = [""]
    while pending and len(found) < MAX_MODEL_FILES:
        try:
            entries = client.list_model_version_artifacts(version, pending.pop())
        except NotFound:  # files collected by retention: the record stays, the files are gone
            return found
        found.extend(entries)
        pending.extend(f.path for f in entries if f.is_dir)
    return sorted(found, key=lambda f: f.path)


def _signature(client: Client, version: ModelVersion, files: list[FileInfo]) -> dict[str, Any] | None:
    """The inputs and outputs the version's MLmodel declares (None when it has no MLmodel)."""
    from cairn.models.mlmodel import read_mlmodel

    entry = next((f for f in files if f.path == MLMODEL_FILE and not f.is_dir), None)
    if entry is None or version.files_location is None or (entry.file_size or 0) > MAX_MLMODEL_BYTES:
        return None
    with tempfile.TemporaryDirectory(prefix="cairn-ui-") as tmp:
        try:
            client.backend.download_artifacts(version.files_location, MLMODEL_FILE, Path(tmp))
            mlmodel = read_mlmodel(Path(tmp))
            signature = mlmodel.signature
        except CairnError as exc:
            return {"flavors": [], "inputs": [], "outputs": [], "problem": exc.message}
    return {
        "flavors": sorted(mlmodel.flavors),
        "inputs": [_spec(s) for s in signature.inputs.inputs] if signature else [],
        "outputs": [_spec(s) for s in signature.outputs.inputs] if signature and signature.outputs else [],
        "problem": None if signature else "the MLmodel declares no signature",
    }


def _spec(spec: Any) -> dict[str, Any]:
    data = spec.to_dict()
    kind = data.get("type")
    if kind == "tensor":
        tensor = data.get("tensor-spec", {})
        kind = f"tensor {tensor.get('dtype')} {tensor.get('shape')}"
    return {"name": data.get("name"), "type": str(kind), "required": data.get("required", True)}


def _lineage(client: Client, version: ModelVersion) -> Lineage | None:
    try:
        graph: Lineage = client.lineage(f"models:/{version.name}/{version.version}")
    except NotFound:
        return None
    return graph


def _rows_of(lineage: Lineage | None, digest: str) -> int | None:
    node = lineage.nodes.get(f"dataset:{digest}") if lineage is not None else None
    rows = node.attributes.get("rows") if node is not None else None
    return rows if isinstance(rows, int) else None


def _deployments(lineage: Lineage | None) -> list[dict[str, Any]]:
    """Where the version serves now: its deployment and arm (from the lineage's ``deployed`` edges)."""
    if lineage is None:
        return []
    return [{"name": e.target.removeprefix("deployment:"), "arm": e.attributes.get("arm"),
             "share": e.attributes.get("share")} for e in lineage.edges if e.relation == "deployed"]
