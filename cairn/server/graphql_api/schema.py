"""The executable schema: MLflow's schema language (``sdl``), the resolvers, and how a field
reads its value from the REST message its parent resolved to.

MLflow's Graphene types read protobuf messages, so a field the message leaves out still answers
with protobuf's default: ``""`` for strings, ``"0"`` for longs, ``false``, ``[]`` for lists and an
empty message for a nested ``Mlflow*`` message (``ApiError`` is not a message: null). The web UI
relies on those defaults (a directory's ``fileSize`` is ``"0"``), so ``proto_field`` gives them.

Metric values: GraphQL's Float has no NaN or infinity. NaN answers null, as MLflow's schema
extension does; +/-inf answers +/-1.7976931348623157e308, which is what MLflow's SQL store holds
for an infinite value (it clamps on write), so the UI sees the same number from either server.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    Undefined,
    ValueNode,
    build_schema,
)

from .resolvers import RESOLVERS, snake_case
from .sdl import SDL

_SCALAR_DEFAULTS: dict[str, Any] = {"String": "", "Boolean": False, "Int": 0, "Float": 0.0, "LongString": 0}
_METRIC_TYPES = ("MlflowMetricExtension", "MlflowMetricWithRunId", "MlflowModelMetric")


def proto_field(source: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
    """The field's value in its parent's message, or protobuf's default when it is left out."""
    if not isinstance(source, dict):
        return None
    value = source.get(snake_case(info.field_name))
    if value is None and info.parent_type.name.startswith("Mlflow"):
        return _proto_default(info.return_type)
    return value


def _proto_default(kind: Any) -> Any:
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList):
        return []
    if isinstance(kind, GraphQLObjectType):
        return {} if kind.name.startswith("Mlflow") else None
    return _SCALAR_DEFAULTS.get(getattr(kind, "name", ""))


def metric_value(source: Any, info: GraphQLResolveInfo) -> float | None:
    value = float(source.get("value", 0.0))  # float() also reads the proto3 JSON strings "NaN", "Infinity"
    if math.isnan(value):
        return None
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return value


def _serialize_long(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(f"LongString cannot represent {value!r}.")
    return str(value)


def _parse_long(value: Any) -> int:
    # JavaScript clients send 64-bit integers as strings; either form is accepted.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise GraphQLError(f"LongString cannot represent {value!r}: expected an integer or a string of digits.")


def _parse_long_literal(node: ValueNode, _variables: Any = None) -> Any:
    if isinstance(node, (IntValueNode, StringValueNode)):
        try:
            return _parse_long(int(node.value) if isinstance(node, IntValueNode) else node.value)
        except GraphQLError:
            return Undefined
    return Undefined


def build() -> GraphQLSchema:
    schema = build_schema(SDL)
    long_string = schema.type_map["LongString"]
    assert isinstance(long_string, GraphQLScalarType)
    long_string.serialize = _serialize_long  # type: ignore[method-assign]
    long_string.parse_value = _parse_long  # type: ignore[method-assign]
    long_string.parse_literal = _parse_long_literal  # type: ignore[method-assign]
    for (type_name, field_name), resolver in RESOLVERS.items():
        _object_type(schema, type_name).fields[field_name].resolve = resolver
    for type_name in _METRIC_TYPES:
        _object_type(schema, type_name).fields["value"].resolve = metric_value
    return schema


def _object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    found = schema.type_map[name]
    assert isinstance(found, GraphQLObjectType)
    return found


SCHEMA = build()
