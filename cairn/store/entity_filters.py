"""Search filters and orderings for experiments and logged models, compiled to SQL.

MLflow's grammar for these searches is smaller than the run-search one (``search_grammar``):
comparisons joined by ``AND``, on a few attributes and on tags (logged models also on params
and metrics)::

    name LIKE 'churn-%' AND tags.team = 'vision' AND creation_time > 1700000000000

Keys with characters outside ``[A-Za-z0-9_.]`` are quoted with backticks (``tags.`my key```).
Strings are single- or double-quoted with no escapes. Every mistake is an ``InvalidParameter``
naming the offending text. User text reaches the database only as bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
)

from cairn.errors import InvalidParameter

from .search_grammar import MAX_FILTER_LENGTH

MAX_CONDITIONS = 50

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'[^']*'|"[^"]*")
    | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<ident>[A-Za-z_]\w*(?:\.(?:`[^`]+`|"[^"]+"|[\w.]+))?)
    )""",
    re.VERBOSE,
)
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_NULL_OPS = ("IS NULL", "IS NOT NULL")
_ENTITY_PREFIXES = {
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute",
    "tag": "tag", "tags": "tag", "param": "param", "params": "param",
    "metric": "metric", "metrics": "metric",
}  # fmt: skip


@dataclass(frozen=True)
class FilterSpec:
    """What one kind of entity can be filtered and ordered on."""

    what: str  # "experiments", "logged models": used in messages
    attributes: frozenset[str]
    numeric_attributes: frozenset[str]
    entities: frozenset[str]  # of "tag", "param", "metric"
    example: str


@dataclass(frozen=True)
class Condition:
    entity: str  # "attribute", "tag", "param" or "metric"
    key: str
    op: str
    value: str | float | int | None


@dataclass(frozen=True)
class OrderKey:
    key: str
    ascending: bool = True


def parse_filter(text: str | None, spec: FilterSpec) -> list[Condition]:
    """Parse ``text`` into AND-ed conditions ([] for no filter)."""
    if text is None:
        return []
    if not isinstance(text, str):
        raise InvalidParameter(f"Invalid filter for {spec.what}: expected a string.")
    if not text.strip():
        return []
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidParameter(f"Filter is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}.")
    tokens = _tokenize(text, spec)
    conditions: list[Condition] = []
    index = 0
    while True:
        condition, index = _condition(tokens, index, text, spec)
        conditions.append(condition)
        if index == len(tokens):
            break
        kind, word = tokens[index]
        if kind != "ident" or word.upper() != "AND":
            _fail(text, spec, f"expected AND or the end of the filter, got '{word}'.")
        index += 1
        if len(conditions) >= MAX_CONDITIONS:
            _fail(text, spec, f"more than {MAX_CONDITIONS} conditions.")
    return conditions


def parse_order_by(clauses: Sequence[str] | None, spec: FilterSpec) -> list[OrderKey]:
    """Parse clauses such as ``name`` or ``creation_time DESC`` (attributes only)."""
    keys: list[OrderKey] = []
    for clause in clauses or ():
        if not isinstance(clause, str):
            raise InvalidParameter(f"Invalid order_by clause {clause!r}: expected a string.")
        words = clause.split()
        if not 1 <= len(words) <= 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise InvalidParameter(
                f"Invalid order_by clause '{clause}': expected '<attribute> [ASC|DESC]', e.g. 'name DESC'."
            )
        key = _attribute_name(words[0])
        if key not in spec.attributes:
            raise InvalidParameter(
                f"Invalid order_by clause '{clause}': {spec.what} can be ordered by "
                f"{', '.join(sorted(spec.attributes))}."
            )
        keys.append(OrderKey(key, len(words) == 1 or words[1].upper() == "ASC"))
    return keys


def _tokenize(text: str, spec: FilterSpec) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            _fail(text, spec, f"unexpected character '{text[pos:].lstrip()[:1]}' at position {pos}.")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _condition(tokens: list[tuple[str, str]], i: int, text: str, spec: FilterSpec) -> tuple[Condition, int]:
    if i >= len(tokens) or tokens[i][0] != "ident":
        _fail(text, spec, "expected a field such as name or tags.team.")
    entity, key = _field(tokens[i][1], text, spec)
    i += 1
    op, i = _operator(tokens, i, text, spec)
    numeric = entity == "metric" or (entity == "attribute" and key in spec.numeric_attributes)
    allowed = _NUMERIC_OPS if numeric else _STRING_OPS + (_NULL_OPS if entity != "attribute" else ())
    if op not in allowed:
        _fail(text, spec, f"operator '{op}' cannot be used on {key}; use one of {', '.join(allowed)}.")
    if op in _NULL_OPS:
        return Condition(entity, key, op, None), i
    if i >= len(tokens):
        _fail(text, spec, f"missing value after '{op}'.")
    kind, raw = tokens[i]
    if numeric:
        if kind != "number":
            _fail(text, spec, f"{key} needs a number, got {raw}.")
        value: str | float | int = float(raw) if entity == "metric" or not re.fullmatch(r"-?\d+", raw) else int(raw)
    else:
        if kind != "string":
            _fail(text, spec, f"{key} needs a quoted string, got {raw}.")
        value = raw[1:-1]
    return Condition(entity, key, op, value), i + 1


def _field(word: str, text: str, spec: FilterSpec) -> tuple[str, str]:
    prefix, dot, rest = word.partition(".")
    if not dot:
        entity, key = "attribute", word
    else:
        entity = _ENTITY_PREFIXES.get(prefix.lower(), "")
        key = rest[1:-1] if rest[:1] in ("`", '"') else rest
    if entity == "attribute":
        if key not in spec.attributes:
            _fail(text, spec, f"unknown attribute '{key}'; use one of {', '.join(sorted(spec.attributes))}.")
    elif entity not in spec.entities:
        allowed = ", ".join(f"{e}s." for e in sorted(spec.entities))
        _fail(text, spec, f"unknown field '{word}'; use an attribute or {allowed}")
    return entity, key


def _operator(tokens: list[tuple[str, str]], i: int, text: str, spec: FilterSpec) -> tuple[str, int]:
    if i >= len(tokens):
        _fail(text, spec, "missing comparison operator.")
    kind, word = tokens[i]
    if kind == "op":
        return word, i + 1
    upper = word.upper()
    if kind == "ident" and upper in ("LIKE", "ILIKE"):
        return upper, i + 1
    if kind == "ident" and upper == "IS":
        words = [t[1].upper() for t in tokens[i + 1 : i + 3]]
        if words[:1] == ["NULL"]:
            return "IS NULL", i + 2
        if words == ["NOT", "NULL"]:
            return "IS NOT NULL", i + 3
    _fail(text, spec, f"expected a comparison operator, got '{word}'.")


def _attribute_name(word: str) -> str:
    prefix, dot, rest = word.partition(".")
    return rest if dot and _ENTITY_PREFIXES.get(prefix.lower()) == "attribute" else word


def _fail(text: str, spec: FilterSpec, detail: str):  # type: ignore[no-untyped-def]
    shown = text if len(text) <= 200 else text[:200] + "..."
    raise InvalidParameter(f"Invalid filter for {spec.what} '{shown}': {detail} Example: {spec.example}")


# SQL ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyValueTable:
    """A (owner id, key, value) table such as experiment_tags; ``owner`` names its id column."""

    table: Table
    owner: str


def where_clauses(
    conn: Connection,
    conditions: Sequence[Condition],
    attributes: Mapping[str, Any],
    owner_id: Column[Any],
    related: Mapping[str, KeyValueTable],
    narrowed: Mapping[str, ColumnElement[bool]] | None = None,
) -> list[ColumnElement[bool]]:
    """SQL tests for ``conditions``: attributes compare their column; tag, param and metric tests
    are correlated EXISTS on ``related[entity]`` (an owner lacking the key fails all but IS NULL),
    looking only at the rows ``narrowed[entity]`` allows when it is given (metrics of a dataset)."""
    clauses: list[ColumnElement[bool]] = []
    for c in conditions:
        if c.entity == "attribute":
            column, value = attributes[c.key], c.value
            if isinstance(column.type, Integer) and isinstance(value, str):  # experiment_id = '12'
                if c.op in ("LIKE", "ILIKE"):
                    column = cast(column, String)
                elif value.isdigit():
                    value = int(value)
                else:
                    raise InvalidParameter(f"{c.key} is a number; '{value}' can never match it.")
            clauses.append(_compare(conn, column, c.op, value))
            continue
        kv = related[c.entity]
        same_key = and_(kv.table.c[kv.owner] == owner_id, kv.table.c.key == c.key,
                        *([narrowed[c.entity]] if narrowed and c.entity in narrowed else []))
        if c.op == "IS NULL":
            clauses.append(not_(exists().where(same_key)))
        elif c.op == "IS NOT NULL":
            clauses.append(exists().where(same_key))
        else:
            test = _compare(conn, kv.table.c.value, c.op, c.value)
            if "is_nan" in kv.table.c:
                test = and_(test, kv.table.c.is_nan == false())
            clauses.append(exists().where(same_key, test))
    return clauses


def _compare(conn: Connection, column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "LIKE":
        if conn.dialect.name == "sqlite":  # SQLite's LIKE ignores case; GLOB does not
            glob = "".join({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch) for ch in value)
            result: ColumnElement[bool] = column.op("GLOB", is_comparison=True)(literal(glob))
            return result
        return column.like(literal(value.replace("\\", "\\\\")), escape="\\")  # type: ignore[no-any-return]
    if op == "ILIKE":
        pattern = func.lower(literal(value.replace("\\", "\\\\")))
        return func.lower(column).like(pattern, escape="\\")  # type: ignore[no-any-return]
    operators = {
        "=": column.__eq__, "!=": column.__ne__, "<": column.__lt__,
        "<=": column.__le__, ">": column.__gt__, ">=": column.__ge__,
    }  # fmt: skip
    return operators[op](value)  # type: ignore[no-any-return]
