"""The run-search filter grammar: MLflow's ``search_runs`` language, plus ``OR`` and parentheses.

Every filter MLflow accepts for run search means the same here, except sloppy forms MLflow lets
through and Cairn refuses: a dangling or doubled AND, an empty key (``metrics. > 1``), a list after
``=`` or ``LIKE``. On top of that Cairn accepts ``OR`` and parentheses, AND binding tighter::

    filter      := or_expr END
    or_expr     := and_expr ("OR" and_expr)*
    and_expr    := primary ("AND" primary)*
    primary     := "(" or_expr ")" | comparison
    comparison  := identifier ( op value | ["NOT"] "IN" "(" string ("," string)* [","] ")"
                              | "IS" ["NOT"] "NULL" )
    identifier  := entity "." key | attribute
    op          := "=" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE"

Keywords are case-insensitive; entity prefixes and attribute names are case-sensitive, as in
MLflow. Strings are single- or double-quoted with no escape processing (MLflow passes the text
between the quotes through unchanged), so a value holding one kind of quote uses the other kind.

Hand-written (no sqlparse) so that every error, syntactic or semantic, is an ``InvalidParameter``
naming the offending token and its position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NoReturn, Union

from cairn.errors import InvalidFilter, InvalidParameter

Entity = Literal["metric", "param", "tag", "attribute", "dataset"]

MAX_FILTER_LENGTH = 10_000
MAX_FILTER_DEPTH = 50


@dataclass(frozen=True)
class Comparison:
    """One test, e.g. ``metrics.acc > 0.9``. Attribute keys are ``schema.runs`` column names."""

    entity: Entity
    key: str
    op: str
    value: str | float | tuple[str, ...] | None


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr = Union[Comparison, And, Or]


@dataclass(frozen=True)
class OrderKey:
    entity: Entity
    key: str
    ascending: bool = True


_ENTITIES: dict[str, Entity] = {
    "metric": "metric", "metrics": "metric",
    "param": "param", "params": "param", "parameter": "param", "parameters": "param",
    "tag": "tag", "tags": "tag",
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute", "run": "attribute",
    "dataset": "dataset", "datasets": "dataset",
}  # fmt: skip
# Accepted attribute names (MLflow's, with its aliases) -> schema.runs column.
# lifecycle_stage is a Cairn extension: MLflow only filters on it through run_view_type.
_ATTRIBUTES = {
    "run_id": "run_id", "run_name": "name", "run name": "name", "Run name": "name",
    "Run Name": "name", "status": "status", "user_id": "user_id", "artifact_uri": "artifact_uri",
    "lifecycle_stage": "lifecycle_stage", "start_time": "start_time", "end_time": "end_time",
    "created": "start_time", "Created": "start_time",
}  # fmt: skip
_NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time"})
_LIST_ATTRIBUTES = frozenset({"run_id"})
_DATASET_KEYS = ("name", "digest", "context")

_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_LIST_OPS = ("IN", "NOT IN")
_NULL_OPS = ("IS NULL", "IS NOT NULL")
_PREFIXES = "metrics., params., tags., attributes., datasets."
_ALL_OPS = _NUMERIC_OPS + _STRING_OPS[2:] + _LIST_OPS + _NULL_OPS
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "ASC", "DESC"})

_EXAMPLE = "metrics.acc > 0.9 AND (params.optimizer = 'adam' OR tags.team = 'vision')"
_EXAMPLES = {
    "metric": "metrics.acc > 0.9", "param": "params.optimizer = 'adam'",
    "tag": "tags.team LIKE 'vis%'", "attribute": "attributes.status = 'FINISHED'",
    "numeric": "attributes.start_time >= 1700000000000",
    "list": "attributes.run_id IN ('a1b2', 'c3d4')", "dataset": "datasets.context = 'training'",
}  # fmt: skip

# One alternative per token kind. Strings are read as MLflow's tokenizer (sqlparse) reads them: a
# doubled or backslash-escaped quote does not close the string, and the text between the outer
# quotes is kept as written. A number glued to letters or dots ("0x10", "1.2.3") is not a number.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:''|\\'|[^'])*'|"(?:""|\\"|[^"])*")
  | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<ident>(?:`(?P<quoted_name>[^`]*)`|(?P<name>\w+))
        (?P<dot>\.(?:"(?P<key1>[^"]*)"|'(?P<key2>[^']*)'|`(?P<key3>[^`]*)`|(?P<key4>[\w.]*)))?)
  | (?P<op><=|>=|!=|<>|==|[<>=!])
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, string, number, op, "(", ")", "," or end
    text: str  # the source text, as shown in error messages
    pos: int
    name: str = ""  # ident: entity or bare attribute; string: the unquoted value
    key: str | None = None  # ident: the part after the first dot

    def keyword(self) -> str | None:
        upper = self.text.upper()
        return upper if self.kind == "ident" and upper in _KEYWORDS else None


class _Parser:
    def __init__(self, text: str, what: str, example: str) -> None:
        self.text, self.what, self.example = text, what, example
        self.tokens = self._tokenize()
        self.index = 0
        self.depth = 0

    def fail(self, detail: str, example: str | None = None, position: int | None = None) -> NoReturn:
        shown = self.text if len(self.text) <= 200 else self.text[:200] + "..."
        raise InvalidFilter(
            f"Invalid {self.what} '{shown}': {detail} Example: {example or self.example}", position
        )

    def unexpected(self, token: _Token, expected: str, example: str | None = None) -> NoReturn:
        found = "end" if token.kind == "end" else f"token '{token.text}'"
        self.fail(f"unexpected {found} at position {token.pos}. Expected {expected}.", example, token.pos)

    def _tokenize(self) -> list[_Token]:
        text, pos = self.text, 0
        tokens: list[_Token] = []
        if len(text) > MAX_FILTER_LENGTH:
            self.fail(f"it is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}.")
        if "\x00" in text:
            self.fail(f"NUL character at position {text.index(chr(0))}.", position=text.index(chr(0)))
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                what = {"'": "string", '"': "string", "`": "quoted name"}.get(text[pos])
                if what:
                    self.fail(f"unterminated {what} starting at position {pos}.", position=pos)
                self.fail(f"unexpected character '{text[pos]}' at position {pos}.", position=pos)
            kind, source = match.lastgroup or "", match.group()
            if kind == "string":
                tokens.append(_Token(kind, source, pos, name=source[1:-1]))
            elif kind == "ident":
                tokens.append(self._identifier(match))
            elif kind != "space":
                tokens.append(_Token(source if kind == "punct" else kind, source, pos))
            pos = match.end()
        tokens.append(_Token("end", "", len(text)))
        return tokens

    def _identifier(self, match: re.Match[str]) -> _Token:
        name = match.group("name") or match.group("quoted_name") or ""
        if match.group("dot") is None:
            return _Token("ident", match.group(), match.start(), name=name)
        key = next((k for k in match.group("key1", "key2", "key3", "key4") if k), "")
        if not key:
            after = match.end()
            if match.group().endswith(".") and self.text[after : after + 1] in ("'", '"', "`"):
                self.fail(f"unterminated quoted name starting at position {after}.", position=after)
            self.fail(f"missing key after '{match.group()}' at position {match.start()}.", position=match.start())
        return _Token("ident", match.group(), match.start(), name=name, key=key)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def take_keyword(self, *words: str) -> _Token | None:
        if self.peek().keyword() in words:
            return self.take()
        return None

    def column(self, token: _Token, attributes: dict[str, str]) -> tuple[Entity, str]:
        """Resolve an identifier token to (entity, key) as MLflow does, or fail naming it."""
        if token.kind == "string" and token.text.startswith('"'):
            entity: Entity | None = "attribute"
            key = token.name  # MLflow reads a bare double-quoted name as an attribute
        elif token.kind != "ident" or token.keyword() is not None:
            self.unexpected(token, "a column such as metrics.acc, params.lr or attributes.status")
        elif token.key is None:
            entity, key = "attribute", token.name
        else:
            entity, key = _ENTITIES.get(token.name), token.key
            if entity is None:
                where = f"in '{token.text}' at position {token.pos}"
                self.fail(f"unknown entity '{token.name}' {where}. Use one of: {_PREFIXES}.", position=token.pos)
        if entity == "attribute" and key not in attributes:
            valid = ", ".join(sorted(attributes))
            self.fail(f"unknown attribute '{key}' at position {token.pos}. Valid: {valid}.", position=token.pos)
        if entity == "dataset" and key not in _DATASET_KEYS:
            valid = ", ".join(_DATASET_KEYS)
            self.fail(f"unknown dataset field '{key}' at position {token.pos}. Valid: {valid}.", position=token.pos)
        return entity, attributes[key] if entity == "attribute" else key


class _FilterParser(_Parser):
    def parse(self) -> Expr:
        expr = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            self.unexpected(token, "AND, OR or the end of the filter")
        return expr

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.take_keyword("OR"):
            items.append(self.and_expr())
        return _joined(Or, items)

    def and_expr(self) -> Expr:
        items = [self.primary()]
        while self.take_keyword("AND"):
            items.append(self.primary())
        return _joined(And, items)

    def primary(self) -> Expr:
        token = self.peek()
        if token.kind != "(":
            return self.comparison()
        self.take()
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            limit = MAX_FILTER_DEPTH
            self.fail(f"parentheses nest deeper than {limit} levels at position {token.pos}.", position=token.pos)
        expr = self.or_expr()
        closing = self.take()
        if closing.kind != ")":
            self.unexpected(closing, f"')' to close the '(' at position {token.pos}")
        self.depth -= 1
        return expr

    def comparison(self) -> Comparison:
        entity, key = self.column(self.take(), _ATTRIBUTES)
        op_token = self.peek()
        op = self.operator()
        allowed, kind = _allowed_ops(entity, key)
        if op not in allowed:
            what = f"operator '{op}' at position {op_token.pos} is not supported for {entity}"
            self.fail(f"{what} '{key}'. Use one of: {', '.join(allowed)}.", _EXAMPLES[kind], op_token.pos)
        if op in _NULL_OPS:
            return Comparison(entity, key, op, None)
        if op in _LIST_OPS:
            return Comparison(entity, key, op, self.string_list(kind))
        return Comparison(entity, key, op, self.scalar(entity, key, kind))

    def operator(self) -> str:
        token = self.take()
        if token.text in ("<>", "=="):
            bad, better = token.text, "!=" if token.text == "<>" else "="
            self.fail(f"unsupported operator '{bad}' at position {token.pos}; use '{better}'.", position=token.pos)
        if token.kind == "op" and token.text != "!":
            return token.text
        word = token.keyword()
        if word in ("LIKE", "ILIKE", "IN"):
            return word
        if word == "NOT":
            if self.take_keyword("IN") is None:
                self.unexpected(self.peek(), "IN after NOT")
            return "NOT IN"
        if word == "IS":
            is_not = self.take_keyword("NOT") is not None
            if self.take_keyword("NULL") is None:
                self.unexpected(self.peek(), "NULL after IS" + (" NOT" if is_not else ""))
            return "IS NOT NULL" if is_not else "IS NULL"
        self.unexpected(token, f"an operator ({', '.join(_ALL_OPS)})")

    def scalar(self, entity: Entity, key: str, kind: str) -> str | float:
        token = self.take()
        if kind in ("metric", "numeric"):
            if token.kind != "number":
                self.unexpected(token, f"a number for {entity} '{key}'", _EXAMPLES[kind])
            if kind == "metric" or not re.fullmatch(r"-?\d+", token.text):
                return float(token.text)
            value = int(token.text)
            if not -(2**63) <= value < 2**63:  # the range of the BIGINT columns
                self.fail(f"number '{token.text}' at position {token.pos} is out of range.", position=token.pos)
            return value
        if token.kind != "string":
            self.unexpected(token, f"a quoted string for {entity} '{key}'", _EXAMPLES[kind])
        return token.name

    def string_list(self, kind: str) -> tuple[str, ...]:
        opening = self.take()
        if opening.kind != "(":
            self.unexpected(opening, "'(' starting a list of quoted strings", _EXAMPLES[kind])
        values: list[str] = []
        while True:
            token = self.take()
            if token.kind == ")" and values:  # a trailing comma is fine, as in MLflow
                return tuple(values)
            if token.kind != "string":
                self.unexpected(token, "a quoted string in the list", _EXAMPLES[kind])
            values.append(token.name)
            token = self.take()
            if token.kind == ")":
                return tuple(values)
            if token.kind != ",":
                self.unexpected(token, "',' or ')' in the list", _EXAMPLES[kind])


def _joined(cls: type[And | Or], items: list[Expr]) -> Expr:
    if len(items) == 1:
        return items[0]
    return cls(tuple(part for i in items for part in (i.items if isinstance(i, cls) else (i,))))


def _allowed_ops(entity: Entity, key: str) -> tuple[tuple[str, ...], str]:
    """The operators MLflow allows on this column, and which example to show."""
    if entity == "metric":
        return _NUMERIC_OPS, "metric"
    if entity in ("param", "tag"):
        return _STRING_OPS + _NULL_OPS, entity
    if entity == "dataset":
        return _STRING_OPS + _LIST_OPS, "dataset"
    if key in _NUMERIC_ATTRIBUTES:
        return _NUMERIC_OPS, "numeric"
    if key in _LIST_ATTRIBUTES:
        return _STRING_OPS + _LIST_OPS, "list"
    return _STRING_OPS, "attribute"


def parse_filter(text: str | None) -> Expr | None:
    """Parse a run-search filter; None or blank text means no filter.

    Raises InvalidParameter naming the offending token and its position. Example:
    ``parse_filter("metrics.acc > 0.9 OR tags.team = 'cv'")`` gives ``Or((Comparison(...), ...))``.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidParameter(f"Invalid filter {text!r}: expected a string. Example: {_EXAMPLE}")
    if not text.strip():
        return None
    return _FilterParser(text, "filter", _EXAMPLE).parse()


_ORDER_ATTRIBUTES = {k: v for k, v in _ATTRIBUTES.items() if k.lower() != "run name"}


def parse_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Parse order_by clauses such as ``metrics.acc DESC`` or ``run_name``.

    Raises InvalidParameter for a malformed clause, an unknown column, a dataset column (MLflow
    cannot order by those) or a column named twice.
    """
    keys: list[OrderKey] = []
    seen: set[tuple[Entity, str]] = set()
    for clause in clauses or ():
        if not isinstance(clause, str):
            raise InvalidParameter(
                f"Invalid order_by clause {clause!r}: expected a string. Example: metrics.acc DESC"
            )
        parser = _Parser(clause, "order_by clause", "metrics.acc DESC")
        token = parser.take()
        entity, key = parser.column(token, _ORDER_ATTRIBUTES)
        if entity == "dataset":
            parser.fail(f"cannot order by dataset field '{key}' at position {token.pos}.")
        direction = parser.take_keyword("ASC", "DESC")
        if parser.peek().kind != "end":
            expected = "the end" if direction else "ASC, DESC or the end"
            parser.unexpected(parser.peek(), f"{expected} of the clause")
        if (entity, key) in seen:
            parser.fail(f"'{token.text}' is already in order_by; name each column once.")
        seen.add((entity, key))
        keys.append(OrderKey(entity, key, direction is None or direction.keyword() == "ASC"))
    return keys


def string_literal(text: str, what: str) -> str:
    """``text`` as a string literal of this grammar, which has no escapes: wrapped in whichever
    quote it does not contain. ``what`` names the value in the error when it holds both."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise InvalidParameter(f"{what} cannot contain both single and double quotes.")
