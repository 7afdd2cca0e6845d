"""The filter of ``cairn predictions list --filter``: comparisons joined by AND.

    features.age > 40 and output = 1
    arm = 'canary' and latency_ms >= 5
    outcome != 0 and error is null

Keys: ``features.<column>``, ``output`` (or ``output.<field>`` for a record output), ``outcome``,
``latency_ms``, ``arm``, ``version``, ``error``. Operators: ``= != < <= > >=`` and ``IS [NOT]
NULL``. Values: numbers, or quoted strings. A range flag is a clause of its own: ``flags.any``
(the row had a feature outside the training ranges), ``flags.none``, or ``flags.<column>`` (that
feature was flagged). A comparison with a missing or mismatched value is
false, never an error, since logged features vary between versions.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from cairn.errors import InvalidParameter
from cairn.entities import Prediction

MAX_FILTER_LENGTH = 2000
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<flag>flags\.[\w.\-]+)(?=\s|$)
      |
      (?P<key>(?:features|output)\.[\w.\-]+|output|outcome|latency_ms|arm|version|error)
      \s*(?:(?P<op><=|>=|!=|=|<|>)\s*(?P<value>'[^']*'|"[^"]*"|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
           |\s+(?P<null>is\s+(?:not\s+)?null)\b)
    )\s*(?P<tail>and\b|$)
""", re.IGNORECASE | re.VERBOSE)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
Test = Callable[[Prediction], bool]


def parse_prediction_filter(text: str | None) -> Test:
    """A test of one prediction row; ``InvalidParameter`` naming the position of a bad clause."""
    if text is None or not text.strip():
        return lambda row: True
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidParameter(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
    tests: list[Test] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidParameter(
                f"Cannot read the filter at character {position + 1}: {text[position:position + 30]!r}. "
                "Write comparisons joined by AND, e.g. features.age > 40 and output = 1.")
        tests.append(_test(match))
        position = match.end()
        if not match.group("tail") and position < len(text):
            raise InvalidParameter(f"Expected AND at character {position + 1} of the filter.")
    return lambda row: all(test(row) for test in tests)


def _test(match: re.Match[str]) -> Test:
    if match.group("flag"):
        return _flag_test(match.group("flag").partition(".")[2])
    read = _reader(match.group("key"))
    if match.group("null"):
        wanted_null = "not" not in match.group("null").lower()
        return lambda row: (read(row) is None) == wanted_null
    compare = _OPS[match.group("op")]
    raw = match.group("value")
    expected: Any = raw[1:-1] if raw[0] in "'\"" else float(raw)

    def test(row: Prediction) -> bool:
        value = read(row)
        if isinstance(expected, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
        elif not isinstance(value, str):
            value = None if value is None else str(value)
            if value is None:
                return False
        try:
            return bool(compare(value, expected))
        except TypeError:
            return False

    return test


def _flag_test(feature: str) -> Test:
    if feature.lower() == "any":
        return lambda row: bool(row.flags)
    if feature.lower() == "none":
        return lambda row: not row.flags
    return lambda row: any(isinstance(f, dict) and f.get("feature") == feature for f in row.flags or ())


def _reader(key: str) -> Callable[[Prediction], Any]:
    head, _, field = key.partition(".")
    head = head.lower()
    if head == "features":
        return lambda row: _field(row.features, field)
    if head == "output":
        return (lambda row: _field(row.output, field)) if field else (lambda row: row.output)
    return lambda row: getattr(row, head)


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None
