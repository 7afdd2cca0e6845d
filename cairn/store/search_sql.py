"""Run-search filters and orderings (``search_grammar``) as SQLAlchemy Core over ``schema.runs``.

Each metric, param, tag or dataset test is a correlated EXISTS on its table, matched on the
(run_id, key) primary key, so AND, OR and parentheses compose without joins multiplying rows,
and a run lacking the key fails every test but ``IS NULL`` (MLflow: ``tags.k != 'v'`` leaves out
runs without tag ``k``). User text only ever reaches the database as bound parameters.

LIKE is case-sensitive and ILIKE case-insensitive on every backend. Patterns have two wildcards,
``%`` and ``_``, and no escape character: every other character, backslash included, matches
itself (MLflow's file store and SQLite backend behave this way).
"""

from __future__ import annotations

import operator
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from cairn.store import schema
from cairn.store.search_grammar import And, Comparison, Expr, Or, OrderKey

_runs = schema.runs
_LIKE_ESCAPE = "\\"
# GLOB metacharacters that must match themselves, written as one-character classes.
_GLOB_LITERALS = {"*": "[*]", "?": "[?]", "[": "[[]"}


def apply_filter(stmt: Select[Any], expr: Expr | None) -> Select[Any]:
    """Add the filter to ``stmt``, a SELECT from ``schema.runs``; None leaves it unchanged."""
    if expr is None:
        return stmt
    return stmt.where(_clause(expr))


def apply_order(stmt: Select[Any], keys: list[OrderKey]) -> Select[Any]:
    """Order ``stmt`` by ``keys``, then by start_time DESC and run_id ASC (MLflow's default).

    Runs missing a key sort last in either direction; a NaN metric sorts after every number
    and before missing values, as in MLflow's SQL store.
    """
    order: list[ColumnElement[Any]] = []
    for key in keys:
        if key.entity == "attribute":
            column = _runs.c[key.key]
            if column.nullable:
                order.append(case((column.is_(None), 1), else_=0))
            order.append(column.asc() if key.ascending else column.desc())
            continue
        table = _KEYED_TABLES[key.entity].alias()
        stmt = stmt.outerjoin_from(
            _runs, table, and_(table.c.run_id == _runs.c.run_id, table.c.key == key.key)
        )
        missing = table.c.run_id.is_(None)
        if key.entity == "metric":
            order.append(case((missing, 2), (table.c.is_nan == true(), 1), else_=0))
        else:
            order.append(case((missing, 1), else_=0))
        order.append(table.c.value.asc() if key.ascending else table.c.value.desc())
    if not any(k.entity == "attribute" and k.key == "start_time" for k in keys):
        order += [case((_runs.c.start_time.is_(None), 1), else_=0), _runs.c.start_time.desc()]
    order.append(_runs.c.run_id.asc())
    return stmt.order_by(*order)


_OPERATORS = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
_KEYED_TABLES = {"metric": schema.latest_metrics, "param": schema.params, "tag": schema.tags}


def _clause(expr: Expr) -> ColumnElement[bool]:
    if isinstance(expr, And):
        return and_(*(_clause(item) for item in expr.items))
    if isinstance(expr, Or):
        return or_(*(_clause(item) for item in expr.items))
    return _comparison(expr)


def _comparison(c: Comparison) -> ColumnElement[bool]:
    if c.entity == "attribute":
        return _compare(_runs.c[c.key], c.op, c.value)
    if c.entity == "dataset":
        inputs, datasets = schema.run_inputs, schema.datasets
        if c.key == "context":
            return exists().where(
                inputs.c.run_id == _runs.c.run_id, _compare(inputs.c.context, c.op, c.value)
            )
        return exists().where(
            inputs.c.run_id == _runs.c.run_id,
            datasets.c.dataset_id == inputs.c.dataset_id,
            _compare(datasets.c[c.key], c.op, c.value),
        )
    table = _KEYED_TABLES[c.entity]
    same_key = (table.c.run_id == _runs.c.run_id, table.c.key == c.key)
    if c.op == "IS NULL":
        return ~exists().where(*same_key)
    if c.op == "IS NOT NULL":
        return exists().where(*same_key)
    test = _compare(table.c.value, c.op, c.value)
    if c.entity == "metric":
        # NaN is stored as 0 with is_nan set. Like MLflow: NaN is unequal to every number and
        # fails every other comparison, so the stored 0 must never pass for a real 0.
        if c.op == "!=":
            test = or_(test, table.c.is_nan == true())
        else:
            test = and_(test, table.c.is_nan == false())
    return exists().where(*same_key, test)


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op in ("IN", "NOT IN"):
        values = list(value)
        return column.in_(values) if op == "IN" else column.not_in(values)
    if op == "LIKE":
        return _CaseSensitiveLike(column, value)
    if op == "ILIKE":
        pattern = literal(_like_pattern(value))
        return func.lower(column).like(func.lower(pattern), escape=_LIKE_ESCAPE)
    if isinstance(value, float):
        bound = literal(value, Float(precision=53))
    elif isinstance(value, int):
        bound = literal(value, BigInteger())
    else:
        bound = literal(value)
    result: ColumnElement[bool] = _OPERATORS[op](column, bound)
    return result


def _like_pattern(pattern: str) -> str:
    # PostgreSQL treats backslash as LIKE's escape unless told otherwise; escaping it (and naming
    # it explicitly) makes it an ordinary character on both backends.
    return pattern.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)


def _glob_pattern(pattern: str) -> str:
    wildcards = {"%": "*", "_": "?"}
    return "".join(wildcards.get(ch) or _GLOB_LITERALS.get(ch) or ch for ch in pattern)


class _CaseSensitiveLike(ColumnElement[bool]):
    """``column LIKE pattern``, matching case-sensitively on every backend.

    PostgreSQL's LIKE already is case-sensitive. SQLite's LIKE ignores ASCII case, so on SQLite
    (and only there: see the dialect check in ``_compile_like_for_sqlite``) the same pattern is
    rewritten to GLOB, which is case-sensitive.
    """

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a predicate already: no "= 1" on backends without booleans
    _traverse_internals = [
        ("like", InternalTraversal.dp_clauseelement),
        ("glob", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, pattern: str) -> None:
        self.like = column.like(literal(_like_pattern(pattern)), escape=_LIKE_ESCAPE)
        self.glob = column.op("GLOB", is_comparison=True)(literal(_glob_pattern(pattern)))


@compiles(_CaseSensitiveLike)
def _compile_like(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.like, **kw)


@compiles(_CaseSensitiveLike, "sqlite")
def _compile_like_for_sqlite(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.glob, **kw)
