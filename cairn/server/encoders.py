"""Entities as MLflow's JSON messages (proto field names; absent fields left out, never null)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from cairn.entities import DatasetInput, Experiment, FileInfo, Metric, Run, RunInfo
from cairn.tracking.logged_models import LoggedModel, ModelLink, ModelMetric


def key_values(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in pairs.items()]


def experiment_to_wire(e: Experiment) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
    }
    if e.last_update_time is not None:
        wire["last_update_time"] = e.last_update_time
    if e.creation_time is not None:
        wire["creation_time"] = e.creation_time
    if e.tags:
        wire["tags"] = key_values(e.tags)
    return wire


def run_info_to_wire(info: RunInfo) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
    }
    if info.start_time is not None:
        wire["start_time"] = info.start_time
    if info.end_time is not None:
        wire["end_time"] = info.end_time
    return wire


def metric_to_wire(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step}


def metrics_to_wire(points: Sequence[Metric]) -> list[dict[str, Any]]:
    # The hot path of get-history (100k points): tuple unpacking beats attribute access.
    return [
        {"key": key, "value": value, "timestamp": timestamp, "step": step}
        for key, value, timestamp, step in points
    ]


def history_rows_to_wire(key: str, rows: Sequence[tuple[int, int, float, bool]]) -> list[dict[str, Any]]:
    """Metric points straight from the store's ``(step, timestamp, value, is_nan)`` rows."""
    nan = math.nan
    return [
        {"key": key, "value": nan if is_nan else value, "timestamp": timestamp, "step": step}
        for step, timestamp, value, is_nan in rows
    ]


def dataset_input_to_wire(item: DatasetInput) -> dict[str, Any]:
    ds = item.dataset
    dataset: dict[str, Any] = {
        "name": ds.name, "digest": ds.digest, "source_type": ds.source_type, "source": ds.source,
    }  # fmt: skip
    if ds.schema is not None:
        dataset["schema"] = ds.schema
    if ds.profile is not None:
        dataset["profile"] = ds.profile
    wire: dict[str, Any] = {"dataset": dataset}
    if item.tags:
        wire["tags"] = key_values(item.tags)
    return wire


def run_to_wire(run: Run, links: Sequence[ModelLink] = ()) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if run.data.metrics:
        data["metrics"] = [metric_to_wire(m) for m in run.data.metrics.values()]
    if run.data.params:
        data["params"] = key_values(run.data.params)
    if run.data.tags:
        data["tags"] = key_values(run.data.tags)
    inputs: dict[str, Any] = {}
    if run.inputs:
        inputs["dataset_inputs"] = [dataset_input_to_wire(i) for i in run.inputs]
    model_inputs = [{"model_id": link.model_id} for link in links if link.direction == "input"]
    if model_inputs:
        inputs["model_inputs"] = model_inputs
    wire: dict[str, Any] = {"info": run_info_to_wire(run.info), "data": data, "inputs": inputs}
    model_outputs = [{"model_id": link.model_id, "step": link.step} for link in links if link.direction == "output"]
    if model_outputs:
        wire["outputs"] = {"model_outputs": model_outputs}
    return wire


def file_info_to_wire(info: FileInfo, path: str) -> dict[str, Any]:
    wire: dict[str, Any] = {"path": path, "is_dir": info.is_dir}
    if info.file_size is not None:
        wire["file_size"] = info.file_size
    return wire


def model_metric_to_wire(m: ModelMetric) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step, "model_id": m.model_id,
    }  # fmt: skip
    for name in ("run_id", "dataset_name", "dataset_digest"):
        value = getattr(m, name)
        if value is not None:
            wire[name] = value
    return wire


def logged_model_to_wire(model: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": model.creation_timestamp_ms,
        "last_updated_timestamp_ms": model.last_updated_timestamp_ms,
        "artifact_uri": model.artifact_location,
        "status": model.status,
    }
    for name in ("model_type", "source_run_id", "status_message"):
        value = getattr(model, name)
        if value is not None:
            info[name] = value
    if model.tags:
        info["tags"] = key_values(model.tags)
    data: dict[str, Any] = {}
    if model.params:
        data["params"] = key_values(model.params)
    if model.metrics:
        data["metrics"] = [model_metric_to_wire(m) for m in model.metrics]
    return {"info": info, "data": data}
