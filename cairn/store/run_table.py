"""The runs table's queries: one page of run ids, counts, child counts, the values of chosen columns,
per-group aggregates and the keys an experiment's runs use.

Every query is scoped like run search (``search``): the active runs of some experiments that match
a filter (``search_sql``), ordered by ``apply_order``. On top of that:

* a *nested* list leaves out a run whose parent (the run its ``parent_tag`` names) is also in the
  list, so children show under their parent instead of twice; a run naming itself is not nested;
* group aggregates are one ``GROUP BY`` over the filtered runs, each chosen metric joined on its
  (run_id, key) unique index: min, mean and max per group in SQL, however many runs there are.

Sorting by a metric, param or tag probes the (run_id, key) index once per run of the experiment and
sorts in a temporary B-tree (missing values and NaN sort last, which no index order gives); the scan
is the experiment's runs through ``ix_runs_experiment_start``. ``EXPLAIN QUERY PLAN`` at 10,000 runs
shows nothing else, so no index is added for the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, ColumnElement, Select, and_, case, exists, false, func, select

from .schema import latest_metrics, params, runs, tags
from .search_grammar import Expr, OrderKey
from .search_sql import apply_filter, apply_order

Tx = Connection
Keyed = Literal["metric", "param", "tag"]
_KEYED = {"metric": latest_metrics, "param": params, "tag": tags}


@dataclass(frozen=True)
class Scope:
    """The runs a table shows: the active runs of ``experiment_ids`` that match ``expr``."""

    experiment_ids: Sequence[int]
    expr: Expr | None


@dataclass(frozen=True)
class GroupRow:
    value: str | None  # None: the runs that lack the key
    runs: int
    # Per metric, in the order asked: (min, mean, max, runs having it), None values when no run has it.
    aggregates: list[tuple[float | None, float | None, float | None, int]]


def _scoped(scope: Scope, *columns: Any) -> Select[Any]:
    stmt = select(*(columns or (runs.c.run_id,))).where(
        runs.c.experiment_id.in_(list(scope.experiment_ids)), runs.c.lifecycle_stage == "active"
    )
    return apply_filter(stmt, scope.expr)


def _not_nested(scope: Scope, parent_tag: str) -> ColumnElement[bool]:
    link = tags.alias("parent_link")  # not ``tags``: the filter's own tag tests must not bind to it
    if scope.expr is None:
        # Without a filter the parent only has to be an active run of the same experiments: one
        # primary-key lookup per run that names a parent.
        parent = runs.alias("parent")
        listed: Any = select(parent.c.run_id).where(
            parent.c.run_id == link.c.value, parent.c.experiment_id.in_(list(scope.experiment_ids)),
            parent.c.lifecycle_stage == "active",
        ).exists()  # fmt: skip
    else:
        # The parent must match the filter too: the list's runs, from their own ``runs`` (no
        # correlation with the outer one), computed once.
        listed = link.c.value.in_(_scoped(scope).correlate(None))
    nested = exists().where(
        link.c.run_id == runs.c.run_id, link.c.key == parent_tag, link.c.value != runs.c.run_id, listed
    )
    return ~nested


def _listed(scope: Scope, nest_under: str | None, *columns: Any) -> Select[Any]:
    stmt = _scoped(scope, *columns)
    return stmt if nest_under is None else stmt.where(_not_nested(scope, nest_under))


def page_run_ids(
    conn: Tx, scope: Scope, order: list[OrderKey], limit: int, offset: int, nest_under: str | None = None
) -> list[str]:
    """Ids of one page of the list, in order; ``nest_under`` (the parent tag) makes it nested."""
    stmt = apply_order(_listed(scope, nest_under), order).limit(limit).offset(offset)
    return list(conn.execute(stmt).scalars())


def count_runs(conn: Tx, scope: Scope, nest_under: str | None = None) -> int:
    return int(conn.execute(_listed(scope, nest_under, func.count())).scalar_one())


def child_counts(conn: Tx, scope: Scope, parent_tag: str, run_ids: Sequence[str]) -> dict[str, int]:
    """For each of ``run_ids`` that has children in the list: how many."""
    if not run_ids:
        return {}
    link = tags.alias("parent_link")
    stmt = (
        _scoped(scope, link.c.value, func.count())
        .join_from(runs, link, and_(link.c.run_id == runs.c.run_id, link.c.key == parent_tag))
        .where(link.c.value.in_(list(run_ids)), link.c.value != runs.c.run_id)
        .group_by(link.c.value)
    )
    return {parent: int(n) for parent, n in conn.execute(stmt)}


def has_nested_runs(conn: Tx, experiment_ids: Sequence[int], parent_tag: str) -> bool:
    """Whether any active run of the experiments names a parent (most experiments have none, and
    then a list need not look for parents at all)."""
    stmt = (
        select(tags.c.run_id)
        .join_from(tags, runs, runs.c.run_id == tags.c.run_id)
        .where(tags.c.key == parent_tag, runs.c.experiment_id.in_(list(experiment_ids)),
               runs.c.lifecycle_stage == "active")
        .limit(1)
    )  # fmt: skip
    return conn.execute(stmt).first() is not None


def load_infos(conn: Tx, run_ids: Sequence[str]) -> dict[str, Any]:
    """The ``runs`` rows of ``run_ids`` by id (attributes only: no params, tags or metrics)."""
    if not run_ids:
        return {}
    return {row.run_id: row for row in conn.execute(select(runs).where(runs.c.run_id.in_(list(run_ids))))}


def column_values(
    conn: Tx, run_ids: Sequence[str], columns: Sequence[tuple[Keyed, str]]
) -> dict[tuple[str, Keyed, str], Any]:
    """(run_id, entity, key) -> value for the chosen keyed columns only (a run may have thousands of
    metrics; the table reads the few it shows). A NaN metric reads as NaN."""
    found: dict[tuple[str, Keyed, str], Any] = {}
    if not run_ids:
        return found
    ids = list(run_ids)
    for entity in ("metric", "param", "tag"):
        keys = sorted({key for e, key in columns if e == entity})
        if not keys:
            continue
        table = _KEYED[entity]
        # NaN is stored as 0 with is_nan set (SQLite has no NaN).
        is_nan = table.c.is_nan if entity == "metric" else false()
        stmt = select(table.c.run_id, table.c.key, table.c.value, is_nan).where(
            table.c.run_id.in_(ids), table.c.key.in_(keys)
        )
        for run_id, key, got, nan in conn.execute(stmt):
            found[(run_id, entity, key)] = math.nan if nan else got  # type: ignore[index]
    return found


def _grouped(scope: Scope, entity: Keyed, key: str, metric_keys: Sequence[str]) -> tuple[Select[Any], Any, list[Any]]:
    table = _KEYED[entity].alias("grouping")
    value = table.c.value
    aggregates: list[Any] = []
    stmt = _scoped(scope, value.label("value"), func.count().label("runs"))
    stmt = stmt.outerjoin_from(runs, table, and_(table.c.run_id == runs.c.run_id, table.c.key == key))
    for i, metric in enumerate(metric_keys):
        m = latest_metrics.alias(f"m{i}")
        stmt = stmt.outerjoin_from(
            runs, m, and_(m.c.run_id == runs.c.run_id, m.c.key == metric, m.c.is_nan == false())
        )
        aggregates.append((func.min(m.c.value), func.avg(m.c.value), func.max(m.c.value), func.count(m.c.value)))
    stmt = stmt.add_columns(*(a for four in aggregates for a in four)).group_by(value)
    return stmt, value, aggregates


def group_rows(
    conn: Tx, scope: Scope, entity: Keyed, key: str, metric_keys: Sequence[str],
    by_metric: int | None, ascending: bool, limit: int, offset: int,
) -> list[GroupRow]:  # fmt: skip
    """One page of groups by the value of ``entity``/``key`` (runs lacking it form the last group),
    with min, mean and max of each of ``metric_keys``. Groups go by the mean of
    ``metric_keys[by_metric]`` (groups where no run has it last), else by value."""
    stmt, value, aggregates = _grouped(scope, entity, key, metric_keys)
    order: list[Any] = [case((value.is_(None), 1), else_=0)]
    if by_metric is not None:
        mean = aggregates[by_metric][1]
        order += [case((mean.is_(None), 1), else_=0), mean.asc() if ascending else mean.desc()]
        ascending = True
    order.append(value.asc() if ascending else value.desc())
    rows = conn.execute(stmt.order_by(*order).limit(limit).offset(offset))
    found = []
    for row in rows:
        cells = list(row[2:])
        per_metric = [
            (_float(cells[i]), _float(cells[i + 1]), _float(cells[i + 2]), int(cells[i + 3]))
            for i in range(0, len(cells), 4)
        ]
        found.append(GroupRow(row[0], int(row[1]), per_metric))
    return found


def count_groups(conn: Tx, scope: Scope, entity: Keyed, key: str) -> int:
    stmt, _, _ = _grouped(scope, entity, key, [])
    return int(conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def experiment_keys(conn: Tx, experiment_id: int, entity: Keyed, limit: int) -> list[str]:
    """The distinct keys of ``entity`` among the experiment's active runs, sorted, at most ``limit``.

    A DISTINCT over the experiment's rows would read every param (metric, tag) of every run. The
    keys are few, so they are walked instead: each step of the recursive query jumps to the next
    key in the (key, value) index, and a key is kept when one active run of the experiment has it.
    """
    table = _KEYED[entity]
    key = table.c.key
    walk = select(func.min(key).label("key")).cte("walk", recursive=True)
    following = select(func.min(key)).where(key > walk.c.key).scalar_subquery()
    walk = walk.union_all(select(following.label("key")).where(walk.c.key.is_not(None)))
    used = table.alias("used")
    in_experiment = exists().where(
        used.c.key == walk.c.key, runs.c.run_id == used.c.run_id,
        runs.c.experiment_id == experiment_id, runs.c.lifecycle_stage == "active",
    )  # fmt: skip
    stmt = select(walk.c.key).where(walk.c.key.is_not(None), in_experiment).order_by(walk.c.key).limit(limit)
    return list(conn.execute(stmt).scalars())
