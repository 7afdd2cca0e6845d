"""Models in an MLflow database: MLflow 3 logged models of one experiment, and the model registry
(models with every version, deleted ones included so numbering carries over, tags and aliases)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, select

from cairn.entities import LifecycleStage
from cairn.registry.imports import ImportedModel, ImportedVersion
from cairn.tracking.logged_model_imports import ImportedLoggedModel
from cairn.tracking.logged_models import PENDING, READY, UPLOAD_FAILED, ModelMetric

from .records import SourceLoggedModel

# MLflow stores a logged model's status as a number (LoggedModelStatus.to_int); 0 is "unspecified".
LOGGED_MODEL_STATUSES = {0: PENDING, 1: PENDING, 2: READY, 3: UPLOAD_FAILED}


def logged_models(conn: Connection, tables: dict[str, Table], experiment_id: int) -> list[SourceLoggedModel]:
    lm = tables["logged_models"]
    rows = conn.execute(select(lm).where(lm.c.experiment_id == experiment_id).order_by(
        lm.c.creation_timestamp_ms, lm.c.model_id)).all()
    ids = [row.model_id for row in rows]
    tags = _pairs(conn, tables.get("logged_model_tags"), ids, "tag_key", "tag_value")
    params = _pairs(conn, tables.get("logged_model_params"), ids, "param_key", "param_value")
    metrics: dict[str, list[ModelMetric]] = {}
    if "logged_model_metrics" in tables and ids:
        m = tables["logged_model_metrics"].c
        for row in conn.execute(select(tables["logged_model_metrics"]).where(m.model_id.in_(ids)).order_by(
                m.metric_name, m.metric_step, m.metric_timestamp_ms)):
            value = math.nan if row.metric_value is None else float(row.metric_value)
            metrics.setdefault(row.model_id, []).append(ModelMetric(
                row.metric_name, value, int(row.metric_timestamp_ms), int(row.metric_step), row.model_id,
                row.run_id, row.dataset_name, row.dataset_digest))
    return [SourceLoggedModel(ImportedLoggedModel(
        model_id=row.model_id, experiment_id=str(row.experiment_id), name=row.name,
        creation_timestamp_ms=int(row.creation_timestamp_ms),
        last_updated_timestamp_ms=int(row.last_updated_timestamp_ms),
        status=LOGGED_MODEL_STATUSES.get(row.status, PENDING),
        lifecycle_stage=row.lifecycle_stage or LifecycleStage.ACTIVE.value, model_type=row.model_type or None,
        source_run_id=row.source_run_id, status_message=row.status_message, tags=tags.get(row.model_id, {}),
        params=params.get(row.model_id, {}), metrics=metrics.get(row.model_id, []),
    ), row.artifact_location) for row in rows]  # fmt: skip


def registered_models(conn: Connection, tables: dict[str, Table],
                      in_workspace: Callable[[Table], list[Any]]) -> list[ImportedModel]:
    rm, mv = tables["registered_models"], tables["model_versions"]
    versions: dict[str, list[Any]] = {}
    for row in conn.execute(select(mv).where(*in_workspace(mv)).order_by(mv.c.name, mv.c.version)):
        versions.setdefault(row.name, []).append(row)
    version_tags: dict[tuple[str, int], dict[str, str]] = {}
    if "model_version_tags" in tables:
        t = tables["model_version_tags"]
        for row in conn.execute(select(t.c.name, t.c.version, t.c.key, t.c.value).where(*in_workspace(t))):
            version_tags.setdefault((row.name, int(row.version)), {})[row.key] = row.value or ""
    model_tags: dict[str, dict[str, str]] = {}
    if "registered_model_tags" in tables:
        t = tables["registered_model_tags"]
        for row in conn.execute(select(t.c.name, t.c.key, t.c.value).where(*in_workspace(t))):
            model_tags.setdefault(row.name, {})[row.key] = row.value or ""
    aliases: dict[str, dict[str, int]] = {}
    if "registered_model_aliases" in tables:
        t = tables["registered_model_aliases"]
        for row in conn.execute(select(t.c.name, t.c.alias, t.c.version).where(*in_workspace(t))):
            aliases.setdefault(row.name, {})[row.alias] = int(row.version)
    found = []
    for row in conn.execute(select(rm).where(*in_workspace(rm)).order_by(rm.c.name)):
        rows = versions.get(row.name, [])
        found.append(ImportedModel(
            name=row.name, creation_timestamp=int(row.creation_time or 0),
            last_updated_timestamp=int(row.last_updated_time or row.creation_time or 0),
            description=row.description or "", tags=model_tags.get(row.name, {}), aliases=aliases.get(row.name, {}),
            versions=[_version(v, version_tags.get((row.name, int(v.version)), {})) for v in rows],
            last_version=max((int(v.version) for v in rows), default=0),
        ))  # fmt: skip
    return found


def _version(row: Any, tags: dict[str, str]) -> ImportedVersion:
    return ImportedVersion(
        version=int(row.version), creation_timestamp=int(row.creation_time or 0),
        last_updated_timestamp=int(row.last_updated_time or row.creation_time or 0),
        current_stage=row.current_stage or "None", description=row.description or "", source=row.source or "",
        run_id=row.run_id or None, run_link=row.run_link or None, status=row.status or "READY",
        status_message=row.status_message or None, user_id=row.user_id or "", tags=tags,
    )  # fmt: skip


def _pairs(conn: Connection, table: Table | None, ids: list[str], key: str, value: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    if table is None or not ids:
        return found
    for model_id, k, v in conn.execute(select(table.c.model_id, table.c[key], table.c[value]).where(
            table.c.model_id.in_(ids))):
        found.setdefault(model_id, {})[k] = v or ""
    return found
