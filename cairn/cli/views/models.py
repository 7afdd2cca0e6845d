"""What each ``cairn models`` command shows, as plain JSON-ready dicts (``--json`` writes them
as they are; ``render.models`` draws the same dicts). Times are ms since the epoch, UTC.

``model_show_doc`` answers the one-command question for a version: what it is, who shipped it
when, and what went into it (run, params, metrics, seeds, code, environment, data, artifacts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from cairn.cli import lookup
from cairn.client.version_facts import interval_doc as interval_view
from cairn.client.version_facts import shipped as _shipped
from cairn.client.version_facts import source_run as _source_run
from cairn.client.version_facts import trained as _trained
from cairn.entities import (
    AuditEvent,
    FileInfo,
    ModelStage,
    ModelVersion,
    Policy,
    RegisteredModel,
    Run,
    TimelineInterval,
    TransitionOutcome,
    TransitionRequest,
)
from cairn.registry.audit import event_payload, gate_payload
from cairn.registry.policies import policy_to_dict
from cairn.tracking.run_context import (
    DIFF_ARTIFACT,
    REQUIREMENTS_ARTIFACT,
    code_view,
    environment_view,
    seeds_view,
)
from cairn.tracking.slice_metrics import PREFIX as SLICE_PREFIX
from cairn.tracking.slice_metrics import worst_slices

if TYPE_CHECKING:
    from cairn.client.client import Client

SHOW_EVENTS = 10
MAX_MODEL_FILES = 2000


def version_view(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "stage": v.current_stage,
        "aliases": list(v.aliases),
        "status": v.status,
        "source": v.source,
        "run_id": v.run_id,
        "user_id": v.user_id,
        "description": v.description,
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "artifacts_retained_until": v.artifacts_retained_until,
        "tags": dict(sorted(v.tags.items())),
    }


def models_view(models: Sequence[RegisteredModel], has_more: bool) -> dict[str, Any]:
    rows = []
    for m in models:
        by_stage = {v.current_stage: v.version for v in m.latest_versions}
        rows.append({
            "name": m.name,
            "description": m.description,
            "latest_version": max((v.version for v in m.latest_versions), default=None),
            "production_version": by_stage.get(ModelStage.PRODUCTION.value),
            "staging_version": by_stage.get(ModelStage.STAGING.value),
            "aliases": dict(m.aliases),
            "creation_timestamp": m.creation_timestamp,
            "last_updated_timestamp": m.last_updated_timestamp,
            "tags": dict(sorted(m.tags.items())),
        })
    return {"models": rows, "has_more": has_more}


def versions_view(name: str, versions: Sequence[ModelVersion]) -> dict[str, Any]:
    return {"name": name, "versions": [version_view(v) for v in versions]}


def timeline_view(name: str, intervals: Sequence[TimelineInterval], now: int, at: int | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name, "now": now, "intervals": [interval_view(i) for i in intervals], "at": None}
    if at is not None:
        production = next((i for i in intervals if i.kind == "stage" and i.contains(at)), None)
        doc["at"] = {
            "time": at,
            "production": interval_view(production) if production is not None else None,
            "aliases": [interval_view(i) for i in intervals if i.kind == "alias" and i.contains(at)],
        }
    return doc


def audit_view(name: str, events: Sequence[AuditEvent]) -> dict[str, Any]:
    return {"name": name, "events": [event_payload(e) for e in events]}


def request_view(r: TransitionRequest) -> dict[str, Any]:
    return {
        "request_id": r.request_id, "name": r.model_name, "version": r.version, "from": r.from_stage,
        "to": r.to_stage, "requested_by": r.requested_by, "requested_time": r.requested_time, "reason": r.reason,
        "status": r.status, "decided_by": r.decided_by, "decided_time": r.decided_time,
        "comment": r.decision_comment, "gate_results": [gate_payload(g) for g in r.gate_results],
    }


def requests_view(requests: Sequence[TransitionRequest]) -> dict[str, Any]:
    return {"requests": [request_view(r) for r in requests]}


def outcome_view(outcome: TransitionOutcome, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "applied": outcome.applied,
        "model_version": version_view(outcome.model_version),
        "gate_results": [gate_payload(g) for g in outcome.gate_results],
        "archived_versions": list(outcome.archived_versions),
        "request": request_view(outcome.request) if outcome.request is not None else None,
    }


def policy_view(name: str | None, policy: Policy | None, scope: str) -> dict[str, Any]:
    return {"name": name, "scope": scope, "policy": policy_to_dict(policy) if policy is not None else None}


def model_show_doc(client: Client, ref: str, events: int = SHOW_EVENTS) -> dict[str, Any]:
    """Everything ``cairn models show REF`` prints."""
    version = client.resolve_model_version(ref)
    model = client.get_registered_model(version.name)
    intervals = client.timeline(version.name, include_aliases=False)
    trail = [e for e in client.audit(version.name, max_results=200, newest_first=True)
             if e.version in (None, version.version)][:events]
    run = _source_run(client, version)
    return {
        "ref": ref,
        "model": {"name": model.name, "description": model.description, "aliases": dict(model.aliases),
                  "tags": dict(sorted(model.tags.items()))},
        "version": version_view(version),
        "external": version.external,  # its files are outside Cairn's store, which never fetches them
        "trained": _trained(client, run),
        "shipped": _shipped(version, intervals),
        "params": dict(sorted(run.data.params.items())) if run else {},
        "metrics": {k: m.value for k, m in sorted(run.data.metrics.items()) if not k.startswith(SLICE_PREFIX)}
        if run else {},
        **_evidence(client, version, run),
        **_run_context(client, run),
        "datasets": [
            {"name": d.dataset.name, "digest": d.dataset.digest, "source_type": d.dataset.source_type,
             "source": d.dataset.source, "context": d.tags.get("mlflow.data.context")}
            for d in (run.inputs if run else [])
        ],
        "artifacts": _files_view(_model_files(client, version)),
        "events": [event_payload(e) for e in trail],
    }


def _evidence(client: Client, version: ModelVersion, run: Run | None) -> dict[str, Any]:
    """Serving requirements, the newest benchmark and the worst slices of the version."""
    requirements = client.get_version_requirements(version.name, version.version)
    bench = client.get_latest_benchmark(version.name, version.version)
    metrics = {k: m.value for k, m in run.data.metrics.items()} if run else {}
    return {"requirements": requirements.to_dict(), "benchmark": bench.to_dict() if bench else None,
            "worst_slices": [asdict(s) for s in worst_slices(metrics)]}


def _run_context(client: Client, run: Run | None) -> dict[str, Any]:
    if run is None:
        return {"code": None, "environment": None, "seeds": None}
    tags = run.data.tags
    paths = {f.path for f in lookup.walk_artifacts(client, run.run_id)}
    diff = lookup.read_artifact_text(client, run.run_id, DIFF_ARTIFACT) if DIFF_ARTIFACT in paths else None
    requirements = (lookup.read_artifact_text(client, run.run_id, REQUIREMENTS_ARTIFACT)
                    if REQUIREMENTS_ARTIFACT in paths else None)
    return {"code": code_view(tags, diff), "environment": environment_view(tags, requirements),
            "seeds": seeds_view(tags)}


def _model_files(client: Client, version: ModelVersion) -> list[FileInfo]:
    found: list[FileInfo] = []
    pending = [""]
    while pending and len(found) < MAX_MODEL_FILES:
        entries = client.list_model_version_artifacts(version, pending.pop())
        found.extend(entries)
        pending.extend(f.path for f in entries if f.is_dir)
    return sorted(found, key=lambda f: f.path)


def _files_view(files: Sequence[FileInfo]) -> dict[str, Any]:
    plain = [f for f in files if not f.is_dir]
    return {"files": [{"path": f.path, "size": f.file_size} for f in plain], "count": len(plain),
            "total_bytes": sum(f.file_size or 0 for f in plain)}
