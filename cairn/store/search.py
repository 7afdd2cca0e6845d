"""Run search: filter and order in SQL, return only the ids of one page.

The grammar (``search_grammar``) and its translation (``search_sql``) are separate modules; this
one scopes the query to experiments and lifecycle, then pages it.

Ordered by a metric (the common "best runs by val_loss" page), the page is read in two parts.
Runs that have the metric as a number come first in either direction; they are read by walking
``ix_latest_metrics_key_value`` in the asked order and stopping once the page is full, so a page
costs about (page size / share of runs passing the filter) index steps, however many runs the
experiment has. Only a page that reaches past those runs (the last page, or a filter that few
runs pass) also reads the NaN and missing-metric runs with the general query, which visits each
run of the experiments once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, exists, false, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Join

from cairn.entities import ViewType

from .schema import latest_metrics, runs
from .search_grammar import Expr, OrderKey
from .search_sql import apply_filter, apply_order


def search_run_ids(
    conn: Connection,
    experiment_ids: Sequence[int],
    expr: Expr | None,
    order: list[OrderKey],
    view_type: ViewType,
    limit: int,
    offset: int,
) -> list[str]:
    scope = _scope(experiment_ids, view_type)
    if order and order[0].entity == "metric":
        return _metric_ordered(conn, scope, expr, order, limit, offset)
    stmt = apply_order(apply_filter(select(runs.c.run_id).where(*scope), expr), order)
    return list(conn.execute(stmt.limit(limit).offset(offset)).scalars())


class _KeyFirst(Join):
    """An inner join whose left side (the order key's rows) the database must read first.

    SQLite's planner, left to choose, starts from the experiment's runs (its index is the more
    selective) and sorts them all; ``CROSS JOIN`` is SQLite's documented way to fix the loop
    order, and the same rows as ``JOIN``. PostgreSQL plans the plain join itself."""

    inherit_cache = True


@compiles(_KeyFirst, "sqlite")
def _compile_key_first(element: _KeyFirst, compiler: SQLCompiler, **kw: Any) -> str:
    sql: str = compiler.visit_join(element, **kw)
    return sql.replace(" JOIN ", " CROSS JOIN ", 1)


def _scope(experiment_ids: Sequence[int], view_type: ViewType) -> list[ColumnElement[bool]]:
    scope = [runs.c.experiment_id.in_(list(experiment_ids))]
    if view_type is ViewType.ACTIVE_ONLY:
        scope.append(runs.c.lifecycle_stage == "active")
    elif view_type is ViewType.DELETED_ONLY:
        scope.append(runs.c.lifecycle_stage == "deleted")
    return scope


def _metric_ordered(
    conn: Connection, scope: list[ColumnElement[bool]], expr: Expr | None, order: list[OrderKey], limit: int, offset: int
) -> list[str]:
    first = order[0]
    key = latest_metrics.alias("order_key")
    has_number = (key.c.key == first.key, key.c.is_nan == false())
    numbers: Select[Any] = apply_filter(
        select(runs.c.run_id).select_from(_KeyFirst(key, runs, runs.c.run_id == key.c.run_id)).where(*has_number, *scope),
        expr,
    )
    page = apply_order(
        numbers.order_by(key.c.value.asc() if first.ascending else key.c.value.desc()), order[1:]
    )
    ids = list(conn.execute(page.limit(limit).offset(offset)).scalars())
    if len(ids) == limit:
        return ids
    # The page reaches the runs whose metric is NaN or missing; they follow in the general order.
    if ids:
        before = offset + len(ids)
    else:
        before = conn.execute(select(func.count()).select_from(numbers.subquery())).scalar_one()
    same = latest_metrics.alias("same_key")
    others = select(runs.c.run_id).where(
        *scope, ~exists().where(same.c.run_id == runs.c.run_id, same.c.key == first.key, same.c.is_nan == false())
    )
    rest = apply_order(apply_filter(others, expr), order)
    ids += conn.execute(rest.limit(limit - len(ids)).offset(max(0, offset - before))).scalars()
    return ids



