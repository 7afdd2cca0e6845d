"""Run search: filter and order in SQL, return only the ids of one page.

The grammar (``search_grammar``) and its translation (``search_sql``) are separate modules; this
one scopes the query to experiments and lifecycle, then pages it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from cairn.entities import ViewType

from .schema import runs
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
    stmt = select(runs.c.run_id).where(runs.c.experiment_id.in_(list(experiment_ids)))
    if view_type is ViewType.ACTIVE_ONLY:
        stmt = stmt.where(runs.c.lifecycle_stage == "active")
    elif view_type is ViewType.DELETED_ONLY:
        stmt = stmt.where(runs.c.lifecycle_stage == "deleted")
    stmt = apply_order(apply_filter(stmt, expr), order).limit(limit).offset(offset)
    return list(conn.execute(stmt).scalars())
