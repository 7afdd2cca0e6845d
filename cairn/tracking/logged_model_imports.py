"""Copying MLflow 3 logged models in from another tracker, keeping their ids (``m-...``), so
versions registered from ``models:/<model_id>`` and runs' links to them keep working.

Like a run (``tracking.imports``), a logged model is begun (its row, tags, params and metrics,
with a *started* mark), then its files are uploaded under the returned artifact location, then
its import is completed (the mark, last). A model marked complete is not written again; one left
*started* gets its details written afresh; a model with that id no import wrote is left alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cairn.entities import LifecycleStage, Metric
from cairn.errors import InvalidParameter, NotFound
from cairn.store import experiments as experiment_rows
from cairn.store import imports as marks
from cairn.store import logged_models as rows
from cairn.store.database import Database

from . import clock
from .imports import (
    LOGGED_MODEL,
    ImportStart,
    ImportState,
    check_source,
    require_started,
    validate_lifecycle,
)
from .logged_models import (
    STATUSES,
    ModelMetric,
    validate_model_name,
    validate_model_params,
    validate_model_tags,
)
from .validation import (
    parse_experiment_id,
    parse_run_id,
    validate_int64,
    validate_metrics,
)

MAX_MODEL_ID_LENGTH = 64
MAX_MODEL_TYPE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class ImportedLoggedModel:
    """A logged model as the source has it, ``experiment_id`` being the Cairn experiment."""

    model_id: str
    experiment_id: str
    name: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: str
    lifecycle_stage: str = LifecycleStage.ACTIVE.value
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Sequence[ModelMetric] = ()


def begin_logged_model_import(db: Database, model: ImportedLoggedModel, source: str) -> ImportStart:
    """Write the model with a *started* mark unless it is complete or not an import's; the answer
    names where its files go. ``NotFound`` for a missing experiment."""
    _validate(model)
    check_source(source)
    now = clock.now_ms()
    with db.write() as tx:
        experiment = experiment_rows.get_experiment(tx, parse_experiment_id(model.experiment_id))
        if experiment is None:
            raise NotFound(f"No Experiment with id={model.experiment_id} exists; import the experiment first.")
        location = f"{experiment.artifact_location.rstrip('/')}/models/{model.model_id}/artifacts"
        state = marks.get_mark(tx, LOGGED_MODEL, model.model_id)
        existing = rows.get_model_row(tx, model.model_id)
        if state == marks.COMPLETE:
            return ImportStart(ImportState.COMPLETE, existing["artifact_location"] if existing else location)
        if existing is not None and state is None:
            return ImportStart(ImportState.PRESENT, existing["artifact_location"])
        row = {
            "experiment_id": int(experiment.experiment_id), "name": model.name, "artifact_location": location,
            "creation_timestamp_ms": model.creation_timestamp_ms,
            "last_updated_timestamp_ms": model.last_updated_timestamp_ms, "status": model.status,
            "status_message": model.status_message, "lifecycle_stage": model.lifecycle_stage,
            "model_type": model.model_type, "source_run_id": model.source_run_id,
        }
        if existing is None:
            rows.insert_model(tx, {"model_id": model.model_id, **row})
        else:
            # An interrupted import: runs may already link to the row, so it stays and its details go.
            marks.delete_logged_model_details(tx, model.model_id)
            rows.update_model(tx, model.model_id, **row)
        rows.upsert_tags(tx, model.model_id, dict(model.tags))
        rows.insert_params(tx, model.model_id, dict(model.params))
        rows.insert_metrics(tx, [
            {"model_id": model.model_id, "key": m.key, "step": m.step, "timestamp": m.timestamp,
             "value": 0.0 if math.isnan(m.value) else m.value, "is_nan": math.isnan(m.value),
             "run_id": m.run_id, "dataset_name": m.dataset_name, "dataset_digest": m.dataset_digest}
            for m in model.metrics
        ])  # fmt: skip
        marks.mark_started(tx, LOGGED_MODEL, model.model_id, source, now)
    return ImportStart(ImportState.STARTED, location)


def complete_logged_model_import(db: Database, model_id: str) -> None:
    """Mark the model's import complete: written last, after its files."""
    _check_id(model_id)
    with db.write() as tx:
        require_started(tx, LOGGED_MODEL, model_id)
        marks.mark_complete(tx, LOGGED_MODEL, model_id, clock.now_ms())


def _validate(model: ImportedLoggedModel) -> None:
    _check_id(model.model_id)
    parse_experiment_id(model.experiment_id)
    validate_model_name(model.name)
    validate_int64("creation_timestamp_ms", model.creation_timestamp_ms)
    validate_int64("last_updated_timestamp_ms", model.last_updated_timestamp_ms)
    if model.status not in STATUSES:
        raise InvalidParameter(f"Invalid logged model status {model.status!r}; use one of {', '.join(STATUSES)}.")
    validate_lifecycle(model.lifecycle_stage)
    if model.model_type is not None and len(model.model_type) > MAX_MODEL_TYPE_LENGTH:
        raise InvalidParameter(f"model_type is longer than {MAX_MODEL_TYPE_LENGTH} characters.")
    if model.source_run_id is not None:
        parse_run_id(model.source_run_id)
    validate_model_tags(model.tags)
    validate_model_params(model.params)
    validate_metrics([Metric(m.key, m.value, m.timestamp, m.step) for m in model.metrics])


def _check_id(model_id: str) -> None:
    if not isinstance(model_id, str) or not model_id or len(model_id) > MAX_MODEL_ID_LENGTH \
            or not (model_id[0].isalnum() and all(c.isalnum() or c in "_-" for c in model_id)):
        raise InvalidParameter(f"'{str(model_id)[:80]}' is not a logged model id (m-...).")
