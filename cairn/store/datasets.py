"""Dataset records and their uses by runs: search, usage, profiles.

A dataset row is unique per (experiment, name, digest); ``run_inputs`` links it to each run that
used it, with the context (training, validation...) in its own column. Lineage across
experiments goes through the digest, which ``ix_datasets_digest`` serves; runs of one dataset go
through ``ix_run_inputs_dataset``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection, func, select, update

from cairn.entities import Dataset

from .schema import datasets, run_inputs, runs

Tx = Connection
FULL_DIGEST_LENGTH = 64


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A stored dataset with how much it is used: ``run_count`` runs, the latest starting at
    ``last_used`` (ms), in these ``contexts``."""

    dataset_id: str
    experiment_id: str
    dataset: Dataset
    run_count: int = 0
    last_used: int | None = None
    contexts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DatasetUse:
    """One run's use of one dataset."""

    dataset_id: str
    digest: str
    run_id: str
    run_name: str
    experiment_id: str
    context: str | None
    start_time: int | None
    status: str
    lifecycle_stage: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """A dataset some run of ``experiment_id`` used, in one ``context`` (None: no context tag)."""

    experiment_id: str
    name: str
    digest: str
    context: str | None


def search_datasets(
    conn: Tx,
    *,
    name: str | None = None,
    digest: str | None = None,
    context: str | None = None,
    source: str | None = None,
    experiment_ids: Sequence[str] | None = None,
    limit: int = 100,
    with_profile: bool = False,
) -> list[DatasetRecord]:
    """Datasets matching every filter given, most recently used first.

    ``digest`` matches a full digest or a prefix; ``source`` is a substring of the source (the
    URI or path it was read from); ``context`` keeps datasets some run used in that context.
    """
    d, ri, r = datasets.c, run_inputs.c, runs.c
    usage = (
        select(ri.dataset_id, func.count(ri.run_id).label("run_count"), func.max(r.start_time).label("last_used"))
        .join(runs, r.run_id == ri.run_id)
        .group_by(ri.dataset_id)
        .subquery("usage")
    )
    columns = [d.dataset_id, d.experiment_id, d.name, d.digest, d.source_type, d.source, d.schema,
               usage.c.run_count, usage.c.last_used]
    if with_profile:
        columns.append(d.profile)
    stmt = select(*columns).outerjoin(usage, usage.c.dataset_id == d.dataset_id)
    if name is not None:
        stmt = stmt.where(d.name == name)
    if digest is not None:
        stmt = stmt.where(d.digest == digest if len(digest) >= FULL_DIGEST_LENGTH
                          else d.digest.startswith(digest, autoescape=True))
    if source is not None:
        stmt = stmt.where(d.source.contains(source, autoescape=True))
    if experiment_ids is not None:
        stmt = stmt.where(d.experiment_id.in_([int(e) for e in experiment_ids]))
    if context is not None:
        stmt = stmt.where(d.dataset_id.in_(select(ri.dataset_id).where(ri.context == context)))
    stmt = stmt.order_by(usage.c.last_used.desc().nulls_last(), d.name, d.digest).limit(limit)
    found = conn.execute(stmt).all()
    contexts = _contexts_of(conn, [row.dataset_id for row in found])
    return [
        DatasetRecord(
            dataset_id=row.dataset_id,
            experiment_id=str(row.experiment_id),
            dataset=Dataset(row.name, row.digest, row.source_type, row.source, row.schema,
                            row.profile if with_profile else None),
            run_count=int(row.run_count or 0),
            last_used=row.last_used,
            contexts=contexts.get(row.dataset_id, ()),
        )
        for row in found
    ]


def fill_missing_profile(conn: Tx, experiment_id: str, name: str, digest: str,
                         schema: str | None, profile: str | None) -> int:
    """Store a schema and profile on a dataset recorded without them (by MLflow's client, or
    before profiling existed). A recorded profile is never overwritten: same digest, same data."""
    d = datasets.c
    where = (d.experiment_id == int(experiment_id), d.name == name, d.digest == digest)
    changed = 0
    if profile is not None:
        changed += conn.execute(update(datasets).where(*where, d.profile.is_(None)).values(profile=profile)).rowcount
    if schema is not None:
        changed += conn.execute(update(datasets).where(*where, d.schema.is_(None)).values(schema=schema)).rowcount
    return changed


def uses_of(conn: Tx, dataset_ids: Sequence[str]) -> list[DatasetUse]:
    """Every run's use of these datasets, oldest run first."""
    if not dataset_ids:
        return []
    ri, r, d = run_inputs.c, runs.c, datasets.c
    stmt = (
        select(ri.dataset_id, d.digest, ri.run_id, ri.context, ri.tags, r.name, r.experiment_id, r.start_time,
               r.status, r.lifecycle_stage)
        .join(runs, r.run_id == ri.run_id)
        .join(datasets, d.dataset_id == ri.dataset_id)
        .where(ri.dataset_id.in_(list(dataset_ids)))
        .order_by(r.start_time, ri.run_id)
    )
    return [
        DatasetUse(row.dataset_id, row.digest, row.run_id, row.name, str(row.experiment_id), row.context,
                   row.start_time, row.status, row.lifecycle_stage, orjson.loads(row.tags))
        for row in conn.execute(stmt)
    ]


def dataset_summaries(conn: Tx, experiment_ids: Sequence[int], limit: int) -> list[DatasetSummary]:
    """Distinct (experiment, name, digest, context) of the datasets runs used in these
    experiments; a dataset no run used is left out. At most ``limit``, in that column order."""
    d, ri = datasets.c, run_inputs.c
    stmt = (
        select(d.experiment_id, d.name, d.digest, ri.context)
        .join(run_inputs, ri.dataset_id == d.dataset_id)
        .where(d.experiment_id.in_(list(experiment_ids)))
        .distinct()
        .order_by(d.experiment_id, d.name, d.digest, ri.context)
        .limit(limit)
    )
    return [DatasetSummary(str(row.experiment_id), row.name, row.digest, row.context) for row in conn.execute(stmt)]


def _contexts_of(conn: Tx, dataset_ids: list[str]) -> dict[str, tuple[str, ...]]:
    if not dataset_ids:
        return {}
    ri = run_inputs.c
    found: dict[str, list[str]] = {}
    stmt = (select(ri.dataset_id, ri.context).where(ri.dataset_id.in_(dataset_ids), ri.context.is_not(None))
            .distinct().order_by(ri.dataset_id, ri.context))
    for dataset_id, context in conn.execute(stmt):
        found.setdefault(dataset_id, []).append(context)
    return {k: tuple(v) for k, v in found.items()}
