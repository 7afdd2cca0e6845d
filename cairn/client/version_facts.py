"""Facts about one model version that both ``cairn models show`` and the web UI's version page
state: its training run, where it trained, and when it shipped. Through ``Client``, so they read
the same whether the store is embedded or a server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.entities import ModelStage, ModelVersion, Run, TimelineInterval
from cairn.errors import NotFound

from .client import Client


def interval_doc(i: TimelineInterval) -> dict[str, Any]:
    return {
        "kind": i.kind, "label": i.label, "version": i.version, "start": i.start, "end": i.end,
        "started_by": i.started_by, "started_by_verified": i.started_by_verified, "reason": i.start_reason,
        "approved_by": i.approved_by, "ended_by": i.ended_by,
    }


def source_run(client: Client, version: ModelVersion) -> Run | None:
    if not version.run_id:
        return None
    try:
        return client.get_run(version.run_id)
    except NotFound:
        return None


def trained(client: Client, run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    info = run.info
    try:
        experiment_name: str | None = client.get_experiment(info.experiment_id).name
    except NotFound:
        experiment_name = None
    return {
        "run_id": info.run_id, "run_name": info.run_name, "experiment_id": info.experiment_id,
        "experiment_name": experiment_name, "user_id": info.user_id, "status": info.status,
        "start_time": info.start_time, "end_time": info.end_time,
        "duration_ms": info.end_time - info.start_time if info.start_time and info.end_time else None,
    }


def shipped(version: ModelVersion, intervals: Sequence[TimelineInterval]) -> dict[str, Any]:
    mine = [i for i in intervals if i.kind == "stage" and i.version == version.version]
    current = next((i for i in mine if i.end is None), None)
    return {
        "in_production": version.current_stage == ModelStage.PRODUCTION.value,
        "since": current.start if current else None,
        "by": current.started_by if current else None,
        "by_verified": current.started_by_verified if current else None,
        "approved_by": current.approved_by if current else None,
        "first_shipped": mine[0].start if mine else None,
        "intervals": [interval_doc(i) for i in mine],
    }
