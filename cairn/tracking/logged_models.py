"""Logged models (MLflow 3): a model package with its own id, tags, params and metrics.

``mlflow.<flavor>.log_model`` creates one before uploading the model's files under
``<experiment>/models/<model_id>/artifacts``, links it to the run as an output, re-logs the
run's metrics with the model's id, and finalizes it READY (or UPLOAD_FAILED).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.entities import LifecycleStage, Metric, PagedList, Param, RunTag, ViewType
from cairn.errors import InvalidParameter, NotFound
from cairn.store import logged_models as rows
from cairn.store.database import Database
from cairn.store.entity_filters import parse_filter, parse_order_by
from cairn.store.experiments import get_experiment
from cairn.store.page_tokens import decode_token, encode_token

from . import clock
from .run_data import log_batch
from .run_names import generate_run_name
from .runs import require_active_run
from .validation import (
    MAX_DATASET_DIGEST_LENGTH,
    MAX_DATASET_NAME_LENGTH,
    parse_experiment_id,
    parse_run_reference,
    validate_int64,
    validate_key,
    validate_max_results,
    validate_metrics,
    validate_param,
    validate_tag,
)

PENDING = "LOGGED_MODEL_PENDING"
READY = "LOGGED_MODEL_READY"
UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"
STATUSES = (PENDING, READY, UPLOAD_FAILED)
MAX_NAME_LENGTH = 256
MAX_MODELS_PER_PAGE = 1000
_FORBIDDEN_NAME_CHARS = ("/", ":", ".", "%", '"', "'")
_MODEL_ID = re.compile(r"^[A-Za-z0-9][\w\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ModelMetric:
    """A metric point that belongs to a logged model (and usually to the run that produced it)."""

    key: str
    value: float
    timestamp: int
    step: int
    model_id: str
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(slots=True)
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: str
    lifecycle_stage: str
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[ModelMetric] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ModelLink:
    """A run's use (``input``) or production (``output``) of a logged model."""

    model_id: str
    direction: str
    step: int = 0


def create_logged_model(
    db: Database,
    experiment_id: str,
    name: str | None = None,
    source_run_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    model_type: str | None = None,
) -> LoggedModel:
    """Create a PENDING model in an active experiment; its artifacts go under the experiment's
    location at ``models/<model_id>/artifacts``."""
    exp_key = parse_experiment_id(experiment_id)
    name = validate_model_name(name) if name is not None else generate_run_name()
    if source_run_id is not None:
        parse_run_reference(source_run_id)
    validate_model_tags(tags or {})
    validate_model_params(params or {})
    if model_type is not None and (not isinstance(model_type, str) or len(model_type) > 500):
        raise InvalidParameter("model_type must be a string of at most 500 characters.")
    model_id = f"m-{uuid.uuid4().hex}"
    now = clock.now_ms()
    with db.write() as tx:
        experiment = get_experiment(tx, exp_key)
        if experiment is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists.")
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidParameter(f"Experiment {experiment_id} is deleted; restore it before logging models to it.")
        rows.insert_model(tx, {
            "model_id": model_id, "experiment_id": exp_key, "name": name,
            "artifact_location": f"{experiment.artifact_location.rstrip('/')}/models/{model_id}/artifacts",
            "creation_timestamp_ms": now, "last_updated_timestamp_ms": now, "status": PENDING,
            "lifecycle_stage": LifecycleStage.ACTIVE.value, "model_type": model_type, "source_run_id": source_run_id,
        })  # fmt: skip
        rows.upsert_tags(tx, model_id, dict(tags or {}))
        rows.insert_params(tx, model_id, dict(params or {}))
        return _load(tx, model_id)


def get_logged_model(db: Database, model_id: str, allow_deleted: bool = False) -> LoggedModel:
    with db.read() as tx:
        return _load(tx, model_id, allow_deleted=allow_deleted)


def finalize_logged_model(db: Database, model_id: str, status: str) -> LoggedModel:
    if status not in STATUSES:
        raise InvalidParameter(f"Invalid logged model status {status!r}; use one of {', '.join(STATUSES)}.")
    with db.write() as tx:
        _require(tx, model_id)
        rows.update_model(tx, model_id, status=status, last_updated_timestamp_ms=clock.now_ms())
        return _load(tx, model_id)


def delete_logged_model(db: Database, model_id: str) -> None:
    """Soft-delete: the model disappears from get and search; its artifacts stay."""
    with db.write() as tx:
        _require(tx, model_id)
        rows.update_model(
            tx, model_id, lifecycle_stage=LifecycleStage.DELETED.value, last_updated_timestamp_ms=clock.now_ms()
        )


def set_logged_model_tags(db: Database, model_id: str, tags: Mapping[str, str]) -> LoggedModel:
    validate_model_tags(tags)
    with db.write() as tx:
        _require(tx, model_id)
        rows.upsert_tags(tx, model_id, dict(tags))
        return _load(tx, model_id)


def delete_logged_model_tag(db: Database, model_id: str, key: str) -> None:
    validate_key("tag", key)
    with db.write() as tx:
        _require(tx, model_id)
        if rows.delete_tag(tx, model_id, key) == 0:
            raise NotFound(f"No tag with key {key!r} found for model with ID {model_id!r}.")


def log_logged_model_params(db: Database, model_id: str, params: Mapping[str, str]) -> None:
    """Add params; like a run's, a param cannot change once logged."""
    validate_model_params(params)
    with db.write() as tx:
        _require(tx, model_id)
        stored = rows.existing_params(tx, model_id, params)
        for key, value in stored.items():
            if params[key] != value:
                raise InvalidParameter(
                    f"Param '{key}' of logged model '{model_id}' is already '{value}'; it cannot change to "
                    f"'{params[key]}'."
                )
        rows.insert_params(tx, model_id, {k: v for k, v in params.items() if k not in stored})


def search_logged_models(
    db: Database,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    order_by: Sequence[tuple[str, bool]] = (),
    max_results: int = 50,
    page_token: str | None = None,
    datasets: Sequence[tuple[str, str | None]] = (),
) -> PagedList:
    """Active models of these experiments matching ``filter_string`` (``name = 'model' AND
    tags.k = 'v' AND metrics.acc > 0.9``), ordered by attributes (newest first by default).

    ``datasets``, (name, digest or None) pairs, keeps the models with a metric logged on one of
    those datasets, and metric conditions then compare only those metrics (MLflow's rule)."""
    if not experiment_ids:
        raise InvalidParameter("search_logged_models needs at least one experiment id.")
    for name, digest in datasets:
        if not isinstance(name, str) or not name:
            raise InvalidParameter("`dataset_name` in the `datasets` clause must be specified.")
        if len(name) > MAX_DATASET_NAME_LENGTH or (digest is not None and len(digest) > MAX_DATASET_DIGEST_LENGTH):
            raise InvalidParameter(
                f"A dataset in the `datasets` clause is over the {MAX_DATASET_NAME_LENGTH}-character name or "
                f"{MAX_DATASET_DIGEST_LENGTH}-character digest limit."
            )
    exp_keys = [parse_experiment_id(e) for e in experiment_ids]
    limit = validate_max_results(max_results, MAX_MODELS_PER_PAGE)
    conditions = parse_filter(filter_string, rows.LOGGED_MODEL_SEARCH)
    order = parse_order_by([f"{name} {'ASC' if asc else 'DESC'}" for name, asc in order_by], rows.LOGGED_MODEL_SEARCH)
    offset = decode_token("logged-models", page_token)
    with db.read() as tx:
        found = rows.search_model_rows(tx, exp_keys, conditions, order, ViewType.ACTIVE_ONLY, limit + 1, offset,
                                       datasets)
        models = _with_details(tx, found[:limit])
    token = encode_token("logged-models", offset + limit) if len(found) > limit else None
    return PagedList(models, token)


def log_batch_with_models(
    db: Database,
    run_id: str,
    metrics: Sequence[Metric],
    model_metrics: Sequence[ModelMetric],
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
) -> None:
    """``run_data.log_batch`` for batches whose metrics may name a logged model (MLflow 3).

    Points naming a model go into the run's history like any other (an identical point is
    stored once: mlflow's ``log_model`` re-logs the run's metrics with the model's id) and are
    also recorded as that model's metrics.
    """
    as_points = [Metric(m.key, m.value, m.timestamp, m.step) for m in model_metrics]
    validate_metrics(as_points)
    _validate_datasets(model_metrics)
    with db.read() as tx:
        require_active_run(tx, run_id)
        missing = {m.model_id for m in model_metrics} - rows.existing_model_ids(tx, (m.model_id for m in model_metrics))
    if missing:
        raise NotFound(
            f"Logged model with ID '{sorted(missing)[0]}' not found; create it before logging metrics to it."
        )
    log_batch(db, run_id, [*metrics, *as_points], params, tags)
    with db.write() as tx:
        rows.insert_metrics(tx, [
            {"model_id": m.model_id, "key": m.key, "step": m.step, "timestamp": m.timestamp,
             "value": 0.0 if math.isnan(m.value) else m.value, "is_nan": math.isnan(m.value),
             "run_id": run_id, "dataset_name": m.dataset_name, "dataset_digest": m.dataset_digest}
            for m in model_metrics
        ])  # fmt: skip


def link_models(db: Database, run_id: str, links: Sequence[ModelLink]) -> None:
    """Record that the run used (input) or produced (output) these models."""
    for link in links:
        if link.direction not in ("input", "output"):
            raise InvalidParameter(f"Invalid model link direction {link.direction!r}.")
        validate_int64("step", link.step)
    with db.write() as tx:
        require_active_run(tx, run_id)
        missing = {link.model_id for link in links} - rows.existing_model_ids(tx, (link.model_id for link in links))
        if missing:
            raise NotFound(f"Logged model with ID '{sorted(missing)[0]}' not found.")
        rows.link_runs(tx, [
            {"run_id": run_id, "model_id": link.model_id, "direction": link.direction, "step": link.step}
            for link in links
        ])  # fmt: skip


def run_model_links(db: Database, run_ids: Sequence[str]) -> dict[str, list[ModelLink]]:
    with db.read() as tx:
        found = rows.run_links(tx, run_ids)
    return {run_id: [ModelLink(*link) for link in links] for run_id, links in found.items()}


def validate_model_name(name: object) -> str:
    if not isinstance(name, str) or not name or any(c in name for c in _FORBIDDEN_NAME_CHARS):
        raise InvalidParameter(
            f"Invalid model name {name!r}: it must be a non-empty string without any of "
            f"{' '.join(_FORBIDDEN_NAME_CHARS)}."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidParameter(f"Model name is {len(name)} characters; the limit is {MAX_NAME_LENGTH}.")
    return name


def validate_model_tags(tags: Mapping[str, str]) -> None:
    for i, (key, value) in enumerate(tags.items()):
        validate_tag(RunTag(key, value), f"tags[{i}]")


def validate_model_params(params: Mapping[str, str]) -> None:
    for i, (key, value) in enumerate(params.items()):
        validate_param(Param(key, value), f"params[{i}]")


def _validate_datasets(model_metrics: Sequence[ModelMetric]) -> None:
    for m in model_metrics:
        if m.dataset_name is not None and len(m.dataset_name) > MAX_DATASET_NAME_LENGTH:
            raise InvalidParameter(
                f"Metric '{m.key}' dataset_name is longer than {MAX_DATASET_NAME_LENGTH} characters."
            )
        if m.dataset_digest is not None and len(m.dataset_digest) > MAX_DATASET_DIGEST_LENGTH:
            raise InvalidParameter(
                f"Metric '{m.key}' dataset_digest is longer than {MAX_DATASET_DIGEST_LENGTH} characters."
            )


def _require(tx: Any, model_id: str) -> dict[str, Any]:
    row = rows.get_model_row(tx, model_id) if isinstance(model_id, str) and _MODEL_ID.match(model_id) else None
    if row is None or row["lifecycle_stage"] != LifecycleStage.ACTIVE.value:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return row


def _load(tx: Any, model_id: str, allow_deleted: bool = False) -> LoggedModel:
    row = rows.get_model_row(tx, model_id) if isinstance(model_id, str) and _MODEL_ID.match(model_id) else None
    if row is None or (not allow_deleted and row["lifecycle_stage"] != LifecycleStage.ACTIVE.value):
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return _with_details(tx, [row])[0]


def _with_details(tx: Any, found: list[dict[str, Any]]) -> list[LoggedModel]:
    tags, params, metrics = rows.load_details(tx, [r["model_id"] for r in found])
    models = []
    for r in found:
        model_id = r["model_id"]
        models.append(LoggedModel(
            model_id=model_id, experiment_id=str(r["experiment_id"]), name=r["name"],
            artifact_location=r["artifact_location"], creation_timestamp_ms=r["creation_timestamp_ms"],
            last_updated_timestamp_ms=r["last_updated_timestamp_ms"], status=r["status"],
            lifecycle_stage=r["lifecycle_stage"], model_type=r["model_type"], source_run_id=r["source_run_id"],
            status_message=r["status_message"], tags=tags[model_id], params=params[model_id],
            metrics=[
                ModelMetric(m["key"], math.nan if m["is_nan"] else m["value"], m["timestamp"], m["step"], model_id,
                            m["run_id"], m["dataset_name"], m["dataset_digest"])
                for m in metrics[model_id]
            ],
        ))  # fmt: skip
    return models
