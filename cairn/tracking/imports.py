"""Copying history in from another tracker (MLflow): experiments, and runs with the ids, names,
times, states and data they had there, so ``runs:/<id>/...`` references keep working.

Rules, in the order they apply:

* An experiment is matched by name. A new one is created under its source id when that id is
  free in Cairn (so experiment ids and artifact locations read the same as before), else under
  the next id; it keeps its lifecycle stage and times. An experiment already there gains the tags
  it lacks and nothing else.
* A run is copied in three steps: ``begin_run_import`` writes the run (info, params, tags,
  dataset inputs, logged-model links) with a *started* mark, ``import_metric_points`` adds its
  history in bounded batches, and ``complete_run_import`` writes the *complete* mark, last. A run
  marked complete is never written again; one left *started* (the import stopped half-way) is
  removed and written afresh; a run with that id that no import wrote is left alone. Either way
  ``begin_run_import`` says whether the caller should go on.
* Values pass the same checks as logging (keys, lengths, int64 times); unlike logging, the run may
  be finished or deleted: an import restores history, it does not log to a live run.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cairn.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    RunInfo,
    RunStatus,
    RunTag,
)
from cairn.errors import Conflict, InvalidParameter, NotFound
from cairn.store import experiments as experiment_rows
from cairn.store import imports as marks
from cairn.store import logged_models as logged_model_rows
from cairn.store import metrics as metric_rows
from cairn.store import runs as run_rows
from cairn.store.database import Database, refresh_statistics

from . import clock
from .locations import run_artifact_uri
from .logged_models import ModelLink
from .run_data import record_inputs, validate_inputs
from .validation import (
    parse_experiment_id,
    parse_run_id,
    validate_experiment_name,
    validate_experiment_tag,
    validate_int64,
    validate_metrics,
    validate_param,
    validate_run_name,
    validate_tag,
)

RUN = "run"
LOGGED_MODEL = "logged_model"
# Where history may be imported from (recorded on each mark).
SOURCES = frozenset({"mlflow"})
# Metric points per import_metric_points call: a few MB of JSON through a server.
MAX_POINTS_PER_CALL = 10_000
# The run_id column's width (MLflow's too).
MAX_RUN_ID_LENGTH = 32


class ImportState(str, enum.Enum):
    """What ``begin_*_import`` found: ``STARTED`` (go on copying), ``COMPLETE`` (an earlier import
    finished it) or ``PRESENT`` (it exists, written by something other than an import)."""

    STARTED = "started"
    COMPLETE = "complete"
    PRESENT = "present"


@dataclass(frozen=True, slots=True)
class ImportStart:
    state: ImportState
    artifact_location: str  # where the entity's artifacts go in Cairn (mlflow-artifacts:/...)


@dataclass(frozen=True, slots=True)
class ImportedExperiment:
    """An experiment as the source has it; ``experiment_id`` is the source's (kept when free)."""

    experiment_id: str
    name: str
    lifecycle_stage: str = LifecycleStage.ACTIVE.value
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExperimentImport:
    experiment: Experiment
    created: bool


@dataclass(frozen=True, slots=True)
class ImportedRun:
    """A run as the source has it, ``experiment_id`` being the Cairn experiment it goes into."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str = LifecycleStage.ACTIVE.value
    deleted_time: int | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    inputs: Sequence[DatasetInput] = ()
    model_links: Sequence[ModelLink] = ()


def import_experiment(db: Database, experiment: ImportedExperiment) -> ExperimentImport:
    """Find the experiment by name or create it (see the module docstring)."""
    validate_experiment_name(experiment.name)
    preferred = parse_experiment_id(experiment.experiment_id)
    lifecycle = validate_lifecycle(experiment.lifecycle_stage)
    for key, value in experiment.tags.items():
        validate_experiment_tag(key, value)
    now = clock.now_ms()
    created = _time("creation_time", experiment.creation_time, now)
    updated = _time("last_update_time", experiment.last_update_time, created)
    with db.write() as tx:
        found = experiment_rows.get_experiment_by_name(tx, experiment.name)
        if found is not None:
            key = int(found.experiment_id)
            experiment_rows.set_experiment_tags(tx, key, {k: v for k, v in experiment.tags.items()
                                                          if k not in found.tags})
        else:
            chosen = None if marks.experiment_id_taken(tx, preferred) else preferred
            key = int(marks.insert_experiment(tx, chosen, experiment.name, lifecycle, created, updated))
            experiment_rows.set_experiment_tags(tx, key, dict(experiment.tags))
        stored = experiment_rows.get_experiment(tx, key)
    assert stored is not None
    return ExperimentImport(stored, found is None)


def begin_run_import(db: Database, run: ImportedRun, source: str) -> ImportStart:
    """Write the run with a *started* mark, unless it is complete or not an import's (see the
    module docstring). ``NotFound`` for a missing experiment or logged model it links to."""
    _validate_run(run)
    check_source(source)
    now = clock.now_ms()
    with db.write() as tx:
        experiment = experiment_rows.get_experiment(tx, parse_experiment_id(run.experiment_id))
        if experiment is None:
            raise NotFound(f"No Experiment with id={run.experiment_id} exists; import the experiment first.")
        location = run_artifact_uri(experiment.artifact_location, run.run_id)
        state = marks.get_mark(tx, RUN, run.run_id)
        existing = run_rows.get_run_info(tx, run.run_id)
        if state == marks.COMPLETE:
            return ImportStart(ImportState.COMPLETE, existing.artifact_uri if existing else location)
        if existing is not None and state is None:
            return ImportStart(ImportState.PRESENT, existing.artifact_uri)
        if existing is not None:
            marks.delete_run_rows(tx, run.run_id)  # what an interrupted import left: write it afresh
        _require_models(tx, run.model_links)
        deleted = run.lifecycle_stage == LifecycleStage.DELETED.value
        info = RunInfo(
            run_id=run.run_id, experiment_id=experiment.experiment_id, run_name=run.run_name, user_id=run.user_id,
            status=run.status, start_time=run.start_time, end_time=run.end_time, artifact_uri=location,
            lifecycle_stage=run.lifecycle_stage,
        )
        run_rows.insert_run(tx, info, dict(run.tags))
        if deleted:
            run_rows.update_run(tx, run.run_id, deleted_time=run.deleted_time or now)
        run_rows.insert_params(tx, run.run_id, dict(run.params))
        record_inputs(tx, experiment.experiment_id, run.run_id, run.inputs)
        logged_model_rows.link_runs(tx, [
            {"run_id": run.run_id, "model_id": link.model_id, "direction": link.direction, "step": link.step}
            for link in run.model_links
        ])  # fmt: skip
        marks.mark_started(tx, RUN, run.run_id, source, now)
    return ImportStart(ImportState.STARTED, location)


def import_metric_points(db: Database, run_id: str, points: Sequence[Metric]) -> None:
    """Add history points to a run whose import is under way (at most ``MAX_POINTS_PER_CALL``;
    a point already there is stored once). ``Conflict`` for a run no import has started."""
    parse_run_id(run_id)
    if len(points) > MAX_POINTS_PER_CALL:
        raise InvalidParameter(
            f"An import call may carry at most {MAX_POINTS_PER_CALL} metric points; got {len(points)}. "
            "Send the history in several calls."
        )
    validate_metrics(points)
    with db.write() as tx:
        require_started(tx, RUN, run_id)
        metric_rows.insert_metrics(tx, run_id, points)


def complete_run_import(db: Database, run_id: str) -> None:
    """Mark the run's import complete: written last, after its history and artifacts."""
    parse_run_id(run_id)
    with db.write() as tx:
        require_started(tx, RUN, run_id)
        marks.mark_complete(tx, RUN, run_id, clock.now_ms())


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidParameter(f"Unknown import source {source!r}; use one of {', '.join(sorted(SOURCES))}.")
    return source


def validate_lifecycle(stage: str) -> str:
    try:
        return LifecycleStage(stage).value
    except ValueError:
        raise InvalidParameter(f"Invalid lifecycle stage {stage!r}; use 'active' or 'deleted'.") from None


def require_started(tx: marks.Tx, kind: str, entity_id: str) -> None:
    """``Conflict`` unless an import of this entity is under way (begun, not complete)."""
    state = marks.get_mark(tx, kind, entity_id)
    if state != marks.STARTED:
        what = kind.replace("_", " ")
        raise Conflict(
            f"No import of {what} '{entity_id}' is under way ({'it is complete' if state else 'none was begun'}); "
            f"begin the {what}'s import first."
        )


def _require_models(tx: marks.Tx, links: Sequence[ModelLink]) -> None:
    for link in links:
        if link.direction not in ("input", "output"):
            raise InvalidParameter(f"Invalid model link direction {link.direction!r}.")
        validate_int64("step", link.step)
        if logged_model_rows.get_model_row(tx, link.model_id) is None:
            raise NotFound(f"Logged model '{link.model_id}' is not in Cairn; import it before the runs that use it.")


def _validate_run(run: ImportedRun) -> None:
    parse_run_id(run.run_id)
    if len(run.run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidParameter(f"Run id '{run.run_id[:80]}' is longer than {MAX_RUN_ID_LENGTH} characters.")
    parse_experiment_id(run.experiment_id)
    validate_run_name(run.run_name)
    if not isinstance(run.user_id, str):
        raise InvalidParameter("user_id must be a string.")
    try:
        RunStatus(run.status)
    except ValueError:
        raise InvalidParameter(f"Invalid run status {run.status!r}.") from None
    validate_lifecycle(run.lifecycle_stage)
    for name, value in (("start_time", run.start_time), ("end_time", run.end_time),
                        ("deleted_time", run.deleted_time)):
        if value is not None:
            validate_int64(name, value)
    for i, (key, value) in enumerate(run.params.items()):
        validate_param(Param(key, value), f"params[{i}]")
    for i, (key, value) in enumerate(run.tags.items()):
        validate_tag(RunTag(key, value), f"tags[{i}]")
    validate_inputs(run.inputs)


def _time(name: str, value: int | None, default: int) -> int:
    return validate_int64(name, value) if value is not None else default


def finish_import(db: Database) -> None:
    """After a whole import: bring the query planner's statistics up to date, as after a restore
    (``store.database.refresh_statistics``: on PostgreSQL a store just filled with thousands of
    runs is otherwise planned as nearly empty until autovacuum catches up; nothing on SQLite)."""
    refresh_statistics(db)
