"""What run retention reads and removes: runs by experiment or deleted before a time, the logged
models runs produced, what runs trained on, and a purged run's metadata."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, delete, select

from . import metric_blocks
from .schema import (
    datasets,
    latest_metrics,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    metrics,
    params,
    run_inputs,
    run_logged_models,
    runs,
    tags,
)

Tx = Connection
# Ids per IN list: well under SQLite's bound-parameter limit.
_CHUNK = 500


class RunRow(NamedTuple):
    run_id: str
    experiment_id: str
    name: str
    status: str
    start_time: int | None
    lifecycle_stage: str
    deleted_time: int | None
    artifact_uri: str


class TrainingSource(NamedTuple):
    run_id: str
    name: str
    digest: str
    source: str
    context: str | None


_RUN_COLUMNS = (runs.c.run_id, runs.c.experiment_id, runs.c.name, runs.c.status, runs.c.start_time,
                runs.c.lifecycle_stage, runs.c.deleted_time, runs.c.artifact_uri)


def active_runs(conn: Tx, experiment_id: int) -> list[RunRow]:
    """The experiment's runs that are not deleted, newest start first (ties by id)."""
    r = runs.c
    stmt = (select(*_RUN_COLUMNS).where(r.experiment_id == experiment_id, r.lifecycle_stage == "active")
            .order_by(r.start_time.desc(), r.run_id))
    return [_run(row) for row in conn.execute(stmt)]


def deleted_runs(conn: Tx, deleted_before: int) -> list[RunRow]:
    """Runs deleted at or before ``deleted_before`` (ms), oldest deletion first."""
    r = runs.c
    stmt = (select(*_RUN_COLUMNS).where(r.lifecycle_stage == "deleted", r.deleted_time.is_not(None),
                                        r.deleted_time <= deleted_before)
            .order_by(r.deleted_time, r.run_id))
    return [_run(row) for row in conn.execute(stmt)]


def get_run_row(conn: Tx, run_id: str) -> RunRow | None:
    row = conn.execute(select(*_RUN_COLUMNS).where(runs.c.run_id == run_id)).first()
    return _run(row) if row is not None else None


def logged_model_locations(conn: Tx, run_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """run id -> [(model id, artifact location)] of the logged models each run produced."""
    m = logged_models.c
    found: dict[str, list[tuple[str, str]]] = {}
    for chunk in _chunks(run_ids):
        stmt = select(m.source_run_id, m.model_id, m.artifact_location).where(m.source_run_id.in_(chunk))
        for run_id, model_id, location in conn.execute(stmt.order_by(m.model_id)):
            found.setdefault(run_id, []).append((model_id, location))
    return found


def training_sources(conn: Tx, run_ids: Sequence[str]) -> list[TrainingSource]:
    """The datasets ``run_ids`` used, with where each came from and the context it was used in."""
    i, d = run_inputs.c, datasets.c
    found: list[TrainingSource] = []
    for chunk in _chunks(run_ids):
        stmt = (select(i.run_id, d.name, d.digest, d.source, i.context)
                .join(datasets, d.dataset_id == i.dataset_id).where(i.run_id.in_(chunk)))
        found.extend(TrainingSource(*row) for row in conn.execute(stmt))
    return found


def purge_run(conn: Tx, run_id: str, model_ids: Sequence[str]) -> None:
    """Delete the run's rows (metric points, latest metrics, params, tags, inputs, links to logged
    models) and those of the logged models ``model_ids`` it produced."""
    series = select(latest_metrics.c.series_id).where(latest_metrics.c.run_id == run_id).scalar_subquery()
    conn.execute(delete(metrics).where(metrics.c.series_id.in_(series)))
    metric_blocks.delete_series(conn, series)
    for table in (latest_metrics, params, tags, run_inputs, run_logged_models):
        conn.execute(delete(table).where(table.c.run_id == run_id))
    if model_ids:
        ids = list(model_ids)
        conn.execute(delete(run_logged_models).where(run_logged_models.c.model_id.in_(ids)))
        for table in (logged_model_metrics, logged_model_params, logged_model_tags, logged_models):
            conn.execute(delete(table).where(table.c.model_id.in_(ids)))
    conn.execute(delete(runs).where(runs.c.run_id == run_id))


def _run(row) -> RunRow:  # type: ignore[no-untyped-def]
    return RunRow(row.run_id, str(row.experiment_id), row.name, row.status, row.start_time, row.lifecycle_stage,
                  row.deleted_time, row.artifact_uri)


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    items = list(ids)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
