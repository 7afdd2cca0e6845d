"""Rows an import from another tracker writes beyond the ordinary ones: its marks (started,
complete), experiments inserted under a chosen id and times, and the removal of what an
interrupted import of one run or logged model left behind."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from . import dialect, metric_blocks
from .schema import (
    experiments,
    import_marks,
    latest_metrics,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    metrics,
    params,
    run_inputs,
    run_logged_models,
    runs,
    tags,
)

Tx = Connection
STARTED, COMPLETE = "started", "complete"


def get_mark(conn: Tx, kind: str, entity_id: str) -> str | None:
    """The import state of one entity ('started' or 'complete'), or None if no import touched it."""
    m = import_marks.c
    state: str | None = conn.execute(
        select(m.state).where(m.kind == kind, m.entity_id == entity_id)
    ).scalar_one_or_none()
    return state


def marks_of(conn: Tx, kind: str, entity_ids: list[str]) -> dict[str, str]:
    """entity id -> state for those of ``entity_ids`` an import touched."""
    if not entity_ids:
        return {}
    m = import_marks.c
    stmt = select(m.entity_id, m.state).where(m.kind == kind, m.entity_id.in_(entity_ids))
    return {entity_id: state for entity_id, state in conn.execute(stmt)}


def mark_started(conn: Tx, kind: str, entity_id: str, source: str, now: int) -> None:
    dialect.upsert(
        conn, import_marks,
        [{"kind": kind, "entity_id": entity_id, "state": STARTED, "source": source, "started_time": now,
          "completed_time": None}],
        key_columns=("kind", "entity_id"), update_columns=("state", "source", "started_time", "completed_time"),
    )


def mark_complete(conn: Tx, kind: str, entity_id: str, now: int) -> int:
    """Complete a started import; the number of marks changed (0: none was started)."""
    m = import_marks.c
    result = conn.execute(
        update(import_marks).where(m.kind == kind, m.entity_id == entity_id, m.state == STARTED)
        .values(state=COMPLETE, completed_time=now)
    )
    return result.rowcount


def insert_experiment(conn: Tx, experiment_id: int | None, name: str, lifecycle_stage: str, creation_time: int,
                      last_update_time: int) -> str:
    """Insert an experiment under ``experiment_id`` (None: the next free one) with its own times;
    its artifact location is Cairn's default for its id."""
    values = {"name": name, "artifact_location": "", "lifecycle_stage": lifecycle_stage,
              "creation_time": creation_time, "last_update_time": last_update_time}
    if experiment_id is not None:
        values["experiment_id"] = experiment_id
    result = conn.execute(insert(experiments).values(**values))
    new_id = int(result.inserted_primary_key[0])
    conn.execute(update(experiments).where(experiments.c.experiment_id == new_id)
                 .values(artifact_location=f"mlflow-artifacts:/{new_id}"))
    if experiment_id is not None:
        dialect.catch_up_id_sequence(conn, experiments, "experiment_id")
    return str(new_id)


def experiment_id_taken(conn: Tx, experiment_id: int) -> bool:
    stmt = select(experiments.c.experiment_id).where(experiments.c.experiment_id == experiment_id)
    return conn.execute(stmt).first() is not None


def delete_run_rows(conn: Tx, run_id: str) -> None:
    """Remove a run with its params, tags, metric points, inputs and model links."""
    series = select(latest_metrics.c.series_id).where(latest_metrics.c.run_id == run_id).scalar_subquery()
    conn.execute(delete(metrics).where(metrics.c.series_id.in_(series)))
    metric_blocks.delete_series(conn, series)
    for table in (latest_metrics, params, tags, run_inputs, run_logged_models):
        conn.execute(delete(table).where(table.c.run_id == run_id))
    conn.execute(delete(runs).where(runs.c.run_id == run_id))


def delete_logged_model_details(conn: Tx, model_id: str) -> None:
    """Remove a logged model's tags, params and metrics, keeping its row and the runs' links to it."""
    for table in (logged_model_tags, logged_model_params, logged_model_metrics):
        conn.execute(delete(table).where(table.c.model_id == model_id))
