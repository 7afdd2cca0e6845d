"""Every page's JSON twin: the same URL with ``?format=json`` answers the data the page renders.

A query parameter rather than ``Accept`` negotiation: the twin is a link anyone can open, share or
``curl`` (``curl 'http://host:5000/models?format=json'``), and a cache or a browser never mixes
the HTML and JSON answers of one URL. The handler builds one value for both; the page renders
it, and the twin writes it with ``jsonable``: dataclasses and named tuples become objects (field
names as in ``cairn.entities``), times stay epoch milliseconds, non-finite floats are written the
way the REST API writes them (``"NaN"``, ``"Infinity"``). An error is the API's
``{"error_code", "message"}`` with its status.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cairn.web.json_floats import quote_non_finite

FORMAT_PARAM = "format"
JSON_FORMAT = "json"
JSON_MEDIA_TYPE = "application/json"


def wants_json(request: Request) -> bool:
    """Whether the request asks for the page's JSON twin (``?format=json``)."""
    return request.query_params.get(FORMAT_PARAM) == JSON_FORMAT


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: dataclasses and named tuples as objects, tuples and sets as
    arrays, enums as their values, mapping keys as strings."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: jsonable(item) for key, item in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


def json_twin(data: Any, status: int = 200) -> Response:
    body = orjson.dumps(quote_non_finite(jsonable(data)))
    return Response(body, status_code=status, media_type=JSON_MEDIA_TYPE, headers={"X-Content-Type-Options": "nosniff"})
