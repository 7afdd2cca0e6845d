"""Runs: create, read, update status and name, delete/restore, search."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from cairn.entities import (
    LifecycleStage,
    PagedList,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidParameter, NotFound
from cairn.store import runs as rows
from cairn.store import search as run_search
from cairn.store.database import Database
from cairn.store.experiments import get_experiment_place
from cairn.store.page_tokens import decode_token, encode_token
from cairn.store.search_grammar import parse_filter, parse_order_by

from . import clock
from .locations import run_artifact_uri
from .retention_trail import explain_missing_run
from .run_names import generate_run_name
from .validation import (
    parse_experiment_id,
    parse_run_id,
    validate_int64,
    validate_max_results,
    validate_run_name,
    validate_tag,
    validate_user,
)

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
PARENT_RUN_TAG = "mlflow.parentRunId"
# The form of the ids create_run gives (uuid4().hex); MLflow's run ids have it too.
_RUN_ID = re.compile(r"[0-9a-f]{32}")


def looks_like_run_id(text: str) -> bool:
    """Whether ``text`` has the form of a run id (32 lowercase hex digits), so a reference that
    may name a run or something else (a dataset name, say) is read as a run."""
    return _RUN_ID.fullmatch(text) is not None


def create_run(
    db: Database,
    experiment_id: str,
    user_id: str = "",
    start_time: int | None = None,
    tags: dict[str, str] | None = None,
    run_name: str | None = None,
) -> Run:
    """Start a run in an active experiment. The name comes from ``run_name``, else the
    ``mlflow.runName`` tag, else a generated one; it is also stored as that tag (as MLflow does)."""
    exp_key = parse_experiment_id(experiment_id)
    run_tags = dict(tags or {})
    for i, (key, value) in enumerate(run_tags.items()):
        validate_tag(RunTag(key, value), f"tags[{i}]")
    name = run_name or run_tags.get(RUN_NAME_TAG) or generate_run_name()
    validate_run_name(name)
    if run_name and run_tags.get(RUN_NAME_TAG, run_name) != run_name:
        raise InvalidParameter(
            f"run_name '{run_name}' and tag {RUN_NAME_TAG}='{run_tags[RUN_NAME_TAG]}' disagree; give one."
        )
    run_tags[RUN_NAME_TAG] = name
    if user_id:
        run_tags.setdefault(USER_TAG, validate_user(user_id))
    start = validate_int64("start_time", start_time) if start_time is not None else clock.now_ms()
    run_id = uuid.uuid4().hex  # the form looks_like_run_id recognizes
    with db.write() as tx:
        place = get_experiment_place(tx, exp_key)
        if place is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists; create it first (set_experiment).")
        lifecycle_stage, artifact_location = place
        if lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidParameter(
                f"The experiment {experiment_id} must be in the 'active' state. Current state is "
                f"{lifecycle_stage}: restore it before starting runs in it."
            )
        info = RunInfo(
            run_id=run_id,
            experiment_id=str(exp_key),
            run_name=name,
            user_id=user_id,
            status=RunStatus.RUNNING.value,
            start_time=start,
            end_time=None,
            artifact_uri=run_artifact_uri(artifact_location, run_id),
        )
        rows.insert_run(tx, info, run_tags)
    # A new run has only the tags just written: no params, metrics or inputs to read back.
    run = Run(info=info, data=RunData(tags=dict(run_tags)))
    return run


def get_run(db: Database, run_id: str) -> Run:
    parse_run_id(run_id)
    with db.read() as tx:
        found = rows.load_runs(tx, [run_id])
    if not found:
        purged = explain_missing_run(db, run_id)
        if purged is not None:
            raise NotFound(f"Run with id={run_id} not found: {purged}")
        raise NotFound(f"Run with id={run_id} not found. Check the id with `cairn runs list`.")
    return found[0]


def require_active_run(tx, run_id: str) -> RunInfo:  # type: ignore[no-untyped-def]
    """The run's info, refusing a missing or deleted run (used by every write to a run)."""
    parse_run_id(run_id)
    info = rows.get_run_info(tx, run_id)
    if info is None:
        raise NotFound(f"Run with id={run_id} not found.")
    if info.lifecycle_stage != LifecycleStage.ACTIVE.value:
        raise InvalidParameter(
            f"The run {run_id} must be in the 'active' state. Current state is {info.lifecycle_stage}: "
            "restore it (restore_run) before logging to it."
        )
    return info


def update_run(
    db: Database,
    run_id: str,
    status: str | None = None,
    end_time: int | None = None,
    run_name: str | None = None,
) -> RunInfo:
    values: dict[str, object] = {}
    if status is not None:
        try:
            values["status"] = RunStatus(status).value
        except ValueError:
            raise InvalidParameter(
                f"Invalid run status {status!r}; use one of {', '.join(s.value for s in RunStatus)}."
            ) from None
    if end_time is not None:
        values["end_time"] = validate_int64("end_time", end_time)
    elif status is not None and RunStatus(status).is_terminal:
        values["end_time"] = clock.now_ms()
    with db.write() as tx:
        require_active_run(tx, run_id)
        if run_name:
            values["name"] = validate_run_name(run_name)
            rows.upsert_tags(tx, run_id, {RUN_NAME_TAG: run_name})
        if values:
            rows.update_run(tx, run_id, **values)
        info = rows.get_run_info(tx, run_id)
    assert info is not None
    return info


def delete_run(db: Database, run_id: str) -> None:
    _set_lifecycle(db, run_id, LifecycleStage.DELETED, clock.now_ms())


def restore_run(db: Database, run_id: str) -> None:
    _set_lifecycle(db, run_id, LifecycleStage.ACTIVE, None)


def _set_lifecycle(db: Database, run_id: str, stage: LifecycleStage, deleted_time: int | None) -> None:
    parse_run_id(run_id)
    with db.write() as tx:
        info = rows.get_run_info(tx, run_id)
        if info is None:
            raise NotFound(f"Run with id={run_id} not found.")
        rows.update_run(tx, run_id, lifecycle_stage=stage.value, deleted_time=deleted_time)


def search_runs(
    db: Database,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: int = 1000,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> PagedList:
    """MLflow's run search (plus OR and parentheses): filter and order in SQL, fetch one page."""
    if not experiment_ids:
        raise InvalidParameter("search_runs needs at least one experiment id.")
    exp_keys = [parse_experiment_id(e) for e in experiment_ids]
    limit = validate_max_results(max_results)
    expr = parse_filter(filter_string)
    order = parse_order_by(order_by)
    offset = decode_token("runs", page_token)
    with db.read() as tx:
        ids = run_search.search_run_ids(tx, exp_keys, expr, order, run_view_type, limit + 1, offset)
        found = rows.load_runs(tx, ids[:limit])
    token = encode_token("runs", offset + limit) if len(ids) > limit else None
    return PagedList(found, token)
