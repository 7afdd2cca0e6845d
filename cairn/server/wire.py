"""JSON in and out: request bodies decoded strictly, responses encoded compactly.

Requests: the body must be UTF-8 JSON whose top level is an object, nested at most 32 deep.
orjson parses it; only when orjson refuses (NaN/Infinity literals, integers beyond 64 bits)
does the standard library get a second look, so such values reach the field checks and get a
message naming the field instead of "malformed JSON".

Responses: orjson, compact. A non-finite float (a diverged loss logged as NaN or infinity) is
written as proto3's JSON mapping writes a double, and as MLflow's server does: the quoted strings
``"NaN"``, ``"Infinity"``, ``"-Infinity"``. The mlflow client parses every response with
``google.protobuf.json_format``, which refuses the bare ``NaN``/``Infinity`` tokens of Python's
``json`` and would read orjson's ``null`` as "no value". The rule holds for every float in every
response, Cairn's own routes included, so any strict JSON parser can read them.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import BadRequest
from cairn.web.json_floats import quote_non_finite

MAX_JSON_DEPTH = 32
JSON_MEDIA_TYPE = "application/json"
EMPTY = b"{}"


class JSONResponse(Response):
    media_type = JSON_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return encode_json(content)


def wire_json(payload: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(payload, status_code=status_code, headers=headers)


def empty_response() -> Response:
    return Response(EMPTY, media_type=JSON_MEDIA_TYPE)


def encode_json(payload: Any) -> bytes:
    out = orjson.dumps(payload)
    # orjson writes NaN and +/-inf as null. Only when a null shows up (rare: the MLflow encoders
    # leave absent fields out) is the payload walked, so a 100k-point history of finite values
    # costs one byte scan and nothing per point.
    if b"null" in out:
        quoted = quote_non_finite(payload)
        if quoted is not payload:
            out = orjson.dumps(quoted)
    return out


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body reads as ``{}``. BadRequest otherwise."""
    return decode_json(await request.body())


def decode_json(body: bytes) -> dict[str, Any]:
    if not body or body.isspace():
        return {}
    try:
        data = orjson.loads(body)
        strict = True
    except orjson.JSONDecodeError:
        data = _decode_lenient(body)
        strict = False
    if type(data) is not dict:
        raise BadRequest(
            f"The request body must be a JSON object ({{...}}), not a JSON {type(data).__name__}."
        )
    _check_nesting(data, strict)
    return data


def _decode_lenient(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The request body is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON.") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise BadRequest(f"The request JSON is nested too deeply; the limit is {MAX_JSON_DEPTH} levels.") from None
    except ValueError as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid JSON"
        raise BadRequest(f"The request body is not valid JSON{where}: {reason}.") from None


def _check_nesting(data: dict[str, Any], strict: bool) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and, for what the standard library parsed,
    lone surrogates (orjson refuses those itself; the database could not store them)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"The request JSON is nested too deeply; the limit is {MAX_JSON_DEPTH} levels.")
        items = node.values() if type(node) is dict else node
        if not strict and type(node) is dict:
            items = [*node.keys(), *items]
        for item in items:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append((item, depth + 1))
            elif not strict and kind is str:
                _check_text(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The request JSON contains an unpaired surrogate escape (\\ud800-\\udfff).") from None
