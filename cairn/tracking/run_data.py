"""What is logged to a run: params (immutable), metrics (time series), tags, dataset inputs.

``log_batch`` is the one write path for params, metrics and tags (the single-item calls wrap it):
it validates the whole batch, then writes it in one transaction, so a batch with one bad entity
writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cairn.entities import DatasetInput, Metric, Param, RunTag
from cairn.errors import InvalidParameter, NotFound
from cairn.store import metrics as metric_rows
from cairn.store import runs as rows
from cairn.store.database import Database

from .runs import RUN_NAME_TAG, require_active_run
from .validation import (
    MAX_DATASET_DIGEST_LENGTH,
    MAX_DATASET_NAME_LENGTH,
    MAX_DATASET_SOURCE_TYPE_LENGTH,
    MAX_INPUT_CONTEXT_LENGTH,
    MAX_INPUT_TAG_VALUE_LENGTH,
    validate_batch,
    validate_key,
    validate_run_name,
)

# MLflow's input tag naming what a dataset was used for; it has a column of its own (search filters on it).
CONTEXT_TAG = "mlflow.data.context"


def log_batch(
    db: Database,
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
) -> None:
    validate_batch(metrics, params, tags)
    tag_map = {t.key: t.value for t in tags}
    if RUN_NAME_TAG in tag_map:
        validate_run_name(tag_map[RUN_NAME_TAG])
    with db.write() as tx:
        if not params and not tag_map and metric_rows.insert_metrics_if_active(tx, run_id, metrics):
            return  # a log-metric: the run was checked in the same statement
        require_active_run(tx, run_id)
        if params:
            # Insert first, then compare with what is stored: a check before the insert could miss
            # a concurrent batch's params on PostgreSQL; the key keeps the first value either way.
            wanted = {p.key: p.value for p in params}
            rows.insert_params(tx, run_id, wanted)
            stored = rows.existing_params(tx, run_id, wanted)
            for key, value in stored.items():
                if wanted[key] != value:
                    raise InvalidParameter(
                        f"Changing param values is not allowed. Param with key='{key}' was already logged "
                        f"with value='{value}' for run ID='{run_id}'. Attempted logging new value "
                        f"'{wanted[key]}'. Params are immutable: log the new value under another key or "
                        "start a new run."
                    )
        if tag_map:
            rows.upsert_tags(tx, run_id, tag_map)
            if RUN_NAME_TAG in tag_map:
                rows.update_run(tx, run_id, name=tag_map[RUN_NAME_TAG])
        metric_rows.insert_metrics(tx, run_id, metrics)


def log_metric(db: Database, run_id: str, metric: Metric) -> None:
    log_batch(db, run_id, metrics=[metric])


def log_param(db: Database, run_id: str, param: Param) -> None:
    log_batch(db, run_id, params=[param])


def set_tag(db: Database, run_id: str, tag: RunTag) -> None:
    log_batch(db, run_id, tags=[tag])


def delete_tag(db: Database, run_id: str, key: str) -> None:
    validate_key("tag", key)
    with db.write() as tx:
        require_active_run(tx, run_id)
        if rows.delete_tag(tx, run_id, key) == 0:
            raise NotFound(f"No tag with name: {key} in run with id {run_id}; there is nothing to delete.")


def log_inputs(db: Database, run_id: str, inputs: Sequence[DatasetInput]) -> None:
    """Record datasets used by a run. The same (experiment, name, digest) is one dataset record,
    however many runs use it."""
    validate_inputs(inputs)
    with db.write() as tx:
        info = require_active_run(tx, run_id)
        record_inputs(tx, info.experiment_id, run_id, inputs)


def validate_inputs(inputs: Sequence[DatasetInput]) -> None:
    """Dataset names, digests and input tags within MLflow's limits; InvalidParameter otherwise."""
    for item in inputs:
        ds = item.dataset
        if not isinstance(ds.name, str) or not ds.name or len(ds.name) > MAX_DATASET_NAME_LENGTH:
            raise InvalidParameter(f"Dataset name must be 1 to {MAX_DATASET_NAME_LENGTH} characters.")
        if not isinstance(ds.digest, str) or not ds.digest or len(ds.digest) > MAX_DATASET_DIGEST_LENGTH:
            raise InvalidParameter(f"Dataset digest must be 1 to {MAX_DATASET_DIGEST_LENGTH} characters.")
        if not isinstance(ds.source_type, str) or len(ds.source_type) > MAX_DATASET_SOURCE_TYPE_LENGTH:
            raise InvalidParameter(f"Dataset source type must be at most {MAX_DATASET_SOURCE_TYPE_LENGTH} characters.")
        for key, value in item.tags.items():
            validate_key("input tag", key)
            if not isinstance(value, str) or len(value) > MAX_INPUT_TAG_VALUE_LENGTH:
                raise InvalidParameter(
                    f"Input tag '{key}' value must be a string of at most {MAX_INPUT_TAG_VALUE_LENGTH} characters.")
        context = item.tags.get(CONTEXT_TAG)
        if context is not None and len(context) > MAX_INPUT_CONTEXT_LENGTH:
            raise InvalidParameter(f"Input tag '{CONTEXT_TAG}' (training, validation...) must be at most "
                                   f"{MAX_INPUT_CONTEXT_LENGTH} characters.")


def record_inputs(tx: rows.Tx, experiment_id: str, run_id: str, inputs: Sequence[DatasetInput]) -> None:
    """Link validated inputs to the run in the caller's transaction, creating dataset records."""
    for item in inputs:
        ds = item.dataset
        dataset_id = rows.find_dataset_id(tx, experiment_id, ds.name, ds.digest)
        if dataset_id is None:
            dataset_id = uuid.uuid4().hex
            if not rows.insert_dataset(tx, dataset_id, experiment_id, ds):
                # another run of the experiment recorded the same data a moment ago: use it
                dataset_id = rows.find_dataset_id(tx, experiment_id, ds.name, ds.digest)
                assert dataset_id is not None
        rows.link_input(tx, run_id, dataset_id, item.tags)
