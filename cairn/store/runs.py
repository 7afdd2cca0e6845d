"""Run rows with their params, tags and dataset inputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from cairn.entities import Dataset, DatasetInput, Metric, Run, RunData, RunInfo

from . import dialect
from .database import insert_unique
from .schema import datasets, latest_metrics, params, run_inputs, runs, tags

Tx = Connection


def insert_run(conn: Tx, info: RunInfo, run_tags: Mapping[str, str]) -> None:
    conn.execute(
        insert(runs).values(
            run_id=info.run_id,
            experiment_id=int(info.experiment_id),
            name=info.run_name,
            user_id=info.user_id,
            status=info.status,
            start_time=info.start_time,
            end_time=info.end_time,
            lifecycle_stage=info.lifecycle_stage,
            artifact_uri=info.artifact_uri,
        )
    )
    upsert_tags(conn, info.run_id, run_tags)


_RUN_BY_ID = select(runs).where(runs.c.run_id == bindparam("run_id"))


def get_run_info(conn: Tx, run_id: str) -> RunInfo | None:
    row = conn.execute(_RUN_BY_ID, {"run_id": run_id}).first()
    return _info_from_row(row) if row is not None else None


def update_run(conn: Tx, run_id: str, **values: object) -> None:
    conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))


def load_runs(conn: Tx, run_ids: Sequence[str]) -> list[Run]:
    """Full runs (info, params, tags, latest metrics, inputs) for ids, in the given order.

    Five queries whatever the number of runs: one per table, each an IN over the page's ids.
    """
    if not run_ids:
        return []
    ids = list(run_ids)
    by_id = {
        row.run_id: Run(info=_info_from_row(row), data=RunData())
        for row in conn.execute(select(runs).where(dialect.among(conn, runs.c.run_id, ids)))
    }
    for run_id, key, value in conn.execute(
        select(params.c.run_id, params.c.key, params.c.value).where(dialect.among(conn, params.c.run_id, ids))
    ):
        by_id[run_id].data.params[key] = value
    for run_id, key, value in conn.execute(
        select(tags.c.run_id, tags.c.key, tags.c.value).where(dialect.among(conn, tags.c.run_id, ids))
    ):
        by_id[run_id].data.tags[key] = value
    lm = latest_metrics.c
    for run_id, key, value, timestamp, step, is_nan in conn.execute(
        select(lm.run_id, lm.key, lm.value, lm.timestamp, lm.step, lm.is_nan).where(dialect.among(conn, lm.run_id, ids))
    ):
        by_id[run_id].data.metrics[key] = Metric(key, float("nan") if is_nan else value, timestamp, step)
    for run_id, dataset_input in _inputs(conn, ids):
        by_id[run_id].inputs.append(dataset_input)
    return [by_id[i] for i in ids if i in by_id]


def _inputs(conn: Tx, ids: list[str]) -> Iterable[tuple[str, DatasetInput]]:
    d = datasets.c
    stmt = (
        select(run_inputs.c.run_id, run_inputs.c.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile)
        .join(datasets, datasets.c.dataset_id == run_inputs.c.dataset_id)
        .where(dialect.among(conn, run_inputs.c.run_id, ids))
        .order_by(d.name)
    )
    for row in conn.execute(stmt):
        dataset = Dataset(row.name, row.digest, row.source_type, row.source, row.schema, row.profile)
        yield row.run_id, DatasetInput(dataset, orjson.loads(row.tags))


def existing_params(conn: Tx, run_id: str, keys: Iterable[str]) -> dict[str, str]:
    key_list = list(keys)
    if not key_list:
        return {}
    rows = conn.execute(
        select(params.c.key, params.c.value).where(params.c.run_id == run_id, params.c.key.in_(key_list))
    )
    return dict(rows.all())  # type: ignore[arg-type]


def insert_params(conn: Tx, run_id: str, new_params: Mapping[str, str]) -> None:
    """Store params, keeping any key the run has already (also one a concurrent transaction just
    stored, on PostgreSQL): read them back to compare values."""
    dialect.insert_ignore(conn, params, [{"run_id": run_id, "key": k, "value": v} for k, v in new_params.items()],
                          ("run_id", "key"))


def upsert_tags(conn: Tx, run_id: str, run_tags: Mapping[str, str]) -> None:
    dialect.upsert(
        conn,
        tags,
        [{"run_id": run_id, "key": k, "value": v} for k, v in run_tags.items()],
        key_columns=("run_id", "key"),
        update_columns=("value",),
    )


def delete_tag(conn: Tx, run_id: str, key: str) -> int:
    return conn.execute(delete(tags).where(tags.c.run_id == run_id, tags.c.key == key)).rowcount


def find_dataset_id(conn: Tx, experiment_id: str, name: str, digest: str) -> str | None:
    d = datasets.c
    return conn.execute(
        select(d.dataset_id).where(d.experiment_id == int(experiment_id), d.name == name, d.digest == digest)
    ).scalar_one_or_none()


def insert_dataset(conn: Tx, dataset_id: str, experiment_id: str, dataset: Dataset) -> bool:
    """False when the experiment has this (name, digest) already (also from a concurrent run)."""
    return insert_unique(
        conn,
        insert(datasets).values(
            dataset_id=dataset_id,
            experiment_id=int(experiment_id),
            name=dataset.name,
            digest=dataset.digest,
            source_type=dataset.source_type,
            source=dataset.source,
            schema=dataset.schema,
            profile=dataset.profile,
        ),
    ) is not None


def link_input(conn: Tx, run_id: str, dataset_id: str, input_tags: Mapping[str, str]) -> None:
    dialect.upsert(
        conn,
        run_inputs,
        [
            {
                "run_id": run_id,
                "dataset_id": dataset_id,
                "context": input_tags.get("mlflow.data.context"),
                "tags": orjson.dumps(dict(input_tags)).decode(),
            }
        ],
        key_columns=("run_id", "dataset_id"),
        update_columns=("context", "tags"),
    )


def _info_from_row(row) -> RunInfo:  # type: ignore[no-untyped-def]
    return RunInfo(
        run_id=row.run_id,
        experiment_id=str(row.experiment_id),
        run_name=row.name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage,
    )
