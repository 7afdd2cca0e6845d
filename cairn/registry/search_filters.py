"""MLflow's registry search grammar: comparisons joined by AND, on a few attributes and on tags
(``name LIKE 'churn%' AND tags.team = 'vision'``, ``run_id IN ('a', 'b')``), and ``order_by``
clauses. ``registry.search`` applies them; the grammar is small enough that a regex tokenizer and
one loop read it, and different enough from run search (no OR, no metrics) to stand alone.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.errors import InvalidParameter
from cairn.store.search_grammar import MAX_FILTER_LENGTH

_FILTER_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'[^']*'|"[^"]*")
    | (?P<number>-?\d+)(?![\w.])
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>[A-Za-z_]\w*(?:\.(?:`[^`]+`|"[^"]+"|[\w.]+))?)
    )""",
    re.VERBOSE,
)
_TAG_PREFIXES = ("tags", "tag")
_WORD_OPS = ("LIKE", "ILIKE", "IN")
_ORDER = re.compile(r"^\s*(\w+)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)
# The mlflow client adds tags.`mlflow.prompt.is_prompt` != 'true' to its searches to leave out
# prompts; MLflow reads an entity without that tag as "not a prompt", so it must match.
_TAG_DEFAULTS = {"mlflow.prompt.is_prompt": "false"}


@dataclass(frozen=True)
class Condition:
    field: str  # an attribute name, or "tag"
    key: str  # the tag key (the attribute name again for attributes)
    op: str
    value: str | int | tuple[str | int, ...]


def parse_registry_filter(text: str | None, attributes: frozenset[str], numeric: frozenset[str],
                          what: str, example: str) -> list[Condition]:
    """``text`` as AND-ed conditions; ``InvalidParameter`` naming what is wrong and an example."""
    if not text or not text.strip():
        return []

    def fail(detail: str) -> InvalidParameter:
        shown = text if len(text) <= 200 else text[:200] + "..."
        return InvalidParameter(f"Invalid filter for {what} '{shown}': {detail} Example: {example}")

    if len(text) > MAX_FILTER_LENGTH:
        raise fail(f"the limit is {MAX_FILTER_LENGTH} characters.")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = _FILTER_TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise fail(f"unexpected text at position {pos}: '{text[pos:].strip()[:20]}'.")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    conditions: list[Condition] = []
    i = 0
    while True:
        if i >= len(tokens) or tokens[i][0] != "ident":
            raise fail("expected a field such as name or tags.<key>.")
        word = tokens[i][1]
        prefix, dot, rest = word.partition(".")
        if dot and prefix.lower() in _TAG_PREFIXES:
            field, key = "tag", rest[1:-1] if rest[:1] in ("`", '"') else rest
        elif word in attributes:
            field = key = word
        else:
            raise fail(f"unknown field '{word}'; use {', '.join(sorted(attributes))} or tags.<key>.")
        i += 1
        kind, op = tokens[i] if i < len(tokens) else ("", "")
        if kind == "ident" and op.upper() == "NOT" and i + 1 < len(tokens) and tokens[i + 1][1].upper() == "IN":
            op, i = "NOT IN", i + 2
        elif kind == "op" or (kind == "ident" and op.upper() in _WORD_OPS):
            op, i = op.upper(), i + 1
        else:
            raise fail(f"expected a comparison operator after '{word}'.")
        is_number = field in numeric
        allowed = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN") if is_number else (
            "=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
        if op not in allowed:
            raise fail(f"operator '{op}' cannot be used on {word}; use one of {', '.join(allowed)}.")
        value: str | int | tuple[str | int, ...]
        if op in ("IN", "NOT IN"):
            if i >= len(tokens) or tokens[i] != ("punct", "("):
                raise fail(f"{op} needs a parenthesized list, e.g. ('a', 'b').")
            items: list[str | int] = []
            i += 1
            while True:
                items.append(_filter_value(tokens, i, is_number, word, fail))
                i += 1
                if i < len(tokens) and tokens[i] == ("punct", ","):
                    i += 1
                    continue
                if i < len(tokens) and tokens[i] == ("punct", ")"):
                    i += 1
                    break
                raise fail(f"the list after {op} is not closed with ')'.")
            value = tuple(items)
        else:
            value = _filter_value(tokens, i, is_number, word, fail)
            i += 1
        conditions.append(Condition(field, key, op, value))
        if i == len(tokens):
            return conditions
        if tokens[i][0] != "ident" or tokens[i][1].upper() != "AND":
            raise fail(f"expected AND or the end of the filter, got '{tokens[i][1]}'.")
        i += 1


def _filter_value(tokens: list[tuple[str, str]], i: int, is_number: bool, word: str,
                  fail: Callable[[str], InvalidParameter]) -> str | int:
    kind, raw = tokens[i] if i < len(tokens) else ("", "")
    if is_number and (kind == "number" or (kind == "string" and raw[1:-1].lstrip("-").isdigit())):
        return int(raw.strip("'\""))
    if not is_number and kind == "string":
        return raw[1:-1]
    raise fail(f"{word} needs {'a number' if is_number else 'a quoted string'}, got '{raw or 'nothing'}'.")


def tag_value(tags: Mapping[str, str], key: str) -> str | None:
    """A tag's value for filtering (None when missing, which fails every comparison)."""
    return tags.get(key, _TAG_DEFAULTS.get(key))


def matches(conditions: Sequence[Condition], value_of: Callable[[Condition], str | int | None]) -> bool:
    """Whether an entity passes every condition; ``value_of`` reads the field a condition names
    (None when the entity lacks it, e.g. a missing tag, which fails every comparison)."""
    for c in conditions:
        actual = value_of(c)
        if actual is None or not _compare(actual, c.op, c.value):
            return False
    return True


def _compare(actual: str | int, op: str, wanted: Any) -> bool:
    if op in ("LIKE", "ILIKE"):
        pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in wanted)
        return re.fullmatch(pattern, str(actual), re.DOTALL | (re.IGNORECASE if op == "ILIKE" else 0)) is not None
    if op in ("IN", "NOT IN"):
        return (actual in wanted) == (op == "IN")
    tests: dict[str, Callable[[Any, Any], bool]] = {
        "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    }  # fmt: skip
    return tests[op](actual, wanted)


def parse_registry_order_by(clauses: Sequence[str], keys: frozenset[str], what: str) -> list[tuple[str, bool]]:
    """``["name ASC", "last_updated_timestamp DESC"]`` as (key, ascending) pairs."""
    parsed = []
    for clause in clauses:
        match = _ORDER.match(clause)
        key = match.group(1) if match else ""
        if match is None or key not in keys:
            raise InvalidParameter(
                f"Invalid order_by clause '{clause}' for {what}: use one of {', '.join(sorted(keys))}, "
                "optionally followed by ASC or DESC."
            )
        parsed.append((key, (match.group(2) or "ASC").upper() == "ASC"))
    return parsed
