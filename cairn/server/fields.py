"""Typed, strict access to request fields, with proto3 JSON's rules for MLflow's messages.

A request's fields come from its JSON object (POST, PATCH, DELETE) or its query string (GET).
Each accessor checks one field and raises ``InvalidParameter`` naming it:

* strings must be strings; an absent field or JSON ``null`` is "not given";
* int64 fields take JSON integers, floats without a fraction, or canonical integer strings
  (proto3 JSON: the Java client sends int64 as ``"123"``), within int64; nothing else (no
  bools, no ``"1.5"``, no lists) is coerced;
* doubles take numbers and the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (proto3 JSON)
  or a numeric string;
* enums take the value's name or its number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.datastructures import QueryParams

from cairn.errors import InvalidParameter
from cairn.tracking.validation import INT64_MAX, INT64_MIN, invalid_value

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_INTEGER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DOUBLE_TEXT = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# Floats are exact integers only below 2**53; beyond, the JSON parser may already have rounded an
# out-of-range integer (orjson reads -9223372036854775809 as the float -2**63), so refuse them.
_EXACT_FLOAT_LIMIT = 2.0**53


def invalid(path: str, value: Any, expected: str) -> InvalidParameter:
    """MLflow's wording (``Invalid value 31 for parameter 'run_id' supplied``), then what is accepted."""
    return invalid_value(path, value, f"expected {expected}.")


def missing(path: str) -> InvalidParameter:
    return InvalidParameter(f"Missing value for required parameter '{path}'.")


def as_string(path: str, value: Any) -> str:
    if type(value) is not str:
        raise invalid(path, value, "a string")
    return value


def as_int(path: str, value: Any, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    kind = type(value)
    if kind is int:
        number = value
    elif kind is float and value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
        number = int(value)
    elif kind is str and _INTEGER_TEXT.fullmatch(value):
        number = int(value)
    else:
        bits = "int32" if high == INT32_MAX else "int64"
        raise invalid(path, value, f"an integer ({bits}) within range, as a JSON integer or a string of digits")
    if not low <= number <= high:
        bits = "32" if high == INT32_MAX else "64"
        raise InvalidParameter(
            f"Invalid value {number} for parameter '{path}' supplied: it is outside the {bits}-bit integer range."
        )
    return number


def as_double(path: str, value: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        number = float(value)
        if math.isinf(number):
            raise InvalidParameter(f"Invalid value for parameter '{path}' supplied: it does not fit a 64-bit float.")
        return number
    if kind is str:
        special = _SPECIAL_DOUBLES.get(value)
        if special is not None:
            return special
        if _DOUBLE_TEXT.fullmatch(value):
            return float(value)
    raise invalid(path, value, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")")


def as_bool(path: str, value: Any) -> bool:
    if type(value) is bool:
        return value  # type: ignore[no-any-return]
    if value in ("true", "false"):
        return value == "true"  # type: ignore[no-any-return]
    raise invalid(path, value, "true or false")


class Fields:
    """The fields of one message: a JSON object, or a request's query parameters."""

    def __init__(self, data: Mapping[str, Any] | QueryParams, path: str = "") -> None:
        self._data = data
        self._query = isinstance(data, QueryParams)
        self._path = path

    def _name(self, name: str) -> str:
        return f"{self._path}.{name}" if self._path else name

    def _get(self, name: str) -> Any:
        if self._query:
            values = self._data.getlist(name)  # type: ignore[union-attr]
            return values[0] if values else None
        return self._data.get(name)

    @property
    def path(self) -> str:
        return self._path

    def raw(self, name: str) -> Any:
        """The field's JSON value as sent (None when absent, and always None on a query string,
        which cannot carry messages)."""
        return None if self._query else self._data.get(name)

    def has(self, name: str) -> bool:
        return self._get(name) is not None

    def string(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self._get(name)
        if value is None or (required and value == ""):
            if required:
                raise missing(self._name(name))
            return default
        return as_string(self._name(name), value)

    def required_string(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def int64(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self._get(name)
        if value is None:
            if required:
                raise missing(self._name(name))
            return default
        return as_int(self._name(name), value)

    def int32(self, name: str, *, default: int | None = None) -> int | None:
        value = self._get(name)
        if value is None:
            return default
        return as_int(self._name(name), value, INT32_MIN, INT32_MAX)

    def double(self, name: str, *, required: bool = False) -> float | None:
        value = self._get(name)
        if value is None:
            if required:
                raise missing(self._name(name))
            return None
        return as_double(self._name(name), value)

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._get(name)
        return default if value is None else as_bool(self._name(name), value)

    def enum(
        self, name: str, values: Sequence[str], *, default: str | None = None, first_number: int = 1
    ) -> str | None:
        """An enum by name, or by its proto number (``values[0]`` is ``first_number``)."""
        value = self._get(name)
        if value is None:
            return default
        if type(value) is str and value in values:
            return value
        if type(value) is int or (type(value) is str and _INTEGER_TEXT.fullmatch(value)):
            index = int(value) - first_number
            if 0 <= index < len(values):
                return values[index]
        raise invalid(self._name(name), value, f"one of {', '.join(values)}")

    def strings(self, name: str) -> list[str]:
        """A repeated string field (repeated query parameters on GET)."""
        path = self._name(name)
        if self._query:
            return list(self._data.getlist(name))  # type: ignore[union-attr]
        value = self._data.get(name)
        if value is None:
            return []
        if type(value) is not list:
            raise invalid(path, value, "a list of strings")
        return [as_string(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def messages(self, name: str) -> list[Fields]:
        """A repeated message field (JSON bodies only)."""
        path = self._name(name)
        value = None if self._query else self._data.get(name)
        if value is None:
            return []
        if type(value) is not list:
            raise invalid(path, value, "a list of objects")
        found = []
        for i, item in enumerate(value):
            if type(item) is not dict:
                raise invalid(f"{path}[{i}]", item, "an object")
            found.append(Fields(item, f"{path}[{i}]"))
        return found

    def message(self, name: str) -> Fields | None:
        value = None if self._query else self._data.get(name)
        if value is None:
            return None
        if type(value) is not dict:
            raise invalid(self._name(name), value, "an object")
        return Fields(value, self._name(name))

    def key_values(self, name: str, *, value_required: bool = False) -> dict[str, str]:
        """A repeated {key, value} message (tags) as a dict; a key given twice keeps its last value."""
        return dict(self.key_value_pairs(name, value_required=value_required))

    def key_value_pairs(self, name: str, *, value_required: bool = False) -> list[tuple[str, str]]:
        """A repeated {key, value} message as sent, repeated keys included (log-batch params: the
        domain refuses one key with two values); a missing value reads as '' as in MLflow."""
        pairs: list[tuple[str, str]] = []
        for item in self.messages(name):
            key = item.required_string("key")
            value = item.string("value", required=value_required, default="")
            assert value is not None
            pairs.append((key, value))
        return pairs
