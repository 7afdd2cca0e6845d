"""``POST /invocations``: route a scoring request to the deployment's arms, answer it, and log it.

A prediction response carries ``model_version`` and one ``prediction_ids`` entry per row (and,
while a canary or A/B test runs, ``model_versions`` and ``arms`` per row), so any prediction can
be traced to the version that made it; when a row has a feature outside the version's training
ranges, ``flags`` lists them per row (``--strict-ranges`` refuses such rows with 400). Each arm's
answer goes to the prediction log after the response is built; a shadow's copy runs on its own
thread. A refusal from one arm's model answers with that arm's version in the version header.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import BadRequest, CairnError
from cairn.registry.feature_ranges import refusal as range_refusal
from cairn.tracking import clock
from cairn.web.errors import error_response

from .deployment import KEY_HEADER, Deployment, Route, row_count
from .prediction_log import Served
from .responses import JSON_MEDIA_TYPE, VERSION_HEADER, json_response
from .scoring import parse_scoring_request, prediction_rows
from .state import ServingState, state_of

ERROR_TEXT_LIMIT = 2000  # characters of a model's failure kept in the prediction log
_log = logging.getLogger("cairn.serving")


class VersionRefusal(Exception):
    """One arm's model refused a request: ``error`` is the answer, ``version`` the arm's version."""

    def __init__(self, error: CairnError, version: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.version = version


async def handle_version_refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VersionRefusal)
    return error_response(request, exc.error, headers={VERSION_HEADER: exc.version})


async def invocations(request: Request) -> Response:
    state = state_of(request)
    payload = await read_json(request)
    data = parse_scoring_request(payload)
    current = state.holder.current
    routes = current.route(data, request.headers.get(KEY_HEADER))
    request_id = uuid.uuid4().hex
    answers = [await _answer(state, current, route, data, payload, request_id) for route in routes]
    if state.prediction_log is not None:
        for answer in answers:
            state.prediction_log.submit(answer)
    total = sum(len(answer.outputs) for answer in answers)
    if current.shadow is not None:
        state.shadows.submit(current, current.shadow, data, payload, request_id, total)
    document = _merge(answers, total, current.model_name,
                      per_row=len(routes) > 1 or current.canary is not None or current.challenger is not None)
    return json_response(document, version=document["model_version"])


async def read_json(request: Request) -> Any:
    """The request's JSON document (any JSON value; the scoring parser checks its shape).
    The body's size was checked by the app's body limit."""
    content_type = request.headers.get("content-type", JSON_MEDIA_TYPE).split(";")[0].strip().lower()
    if content_type != JSON_MEDIA_TYPE:
        raise BadRequest(f"Send the request as {JSON_MEDIA_TYPE}, not '{content_type[:100]}'.")
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.") from None


async def _answer(state: ServingState, current: Deployment, route: Route, data: Any, payload: Any,
                  request_id: str) -> Served:
    arm = route.arm
    part = _rows(data, route.rows)
    flags = arm.ranges.check(part) if arm.ranges is not None else None
    if flags is not None and state.strict_ranges:
        raise VersionRefusal(range_refusal(flags), arm.version)
    started = time.perf_counter()
    try:
        prepared = current.prepare(arm, part)
        if state.pacer.inline(arm.version):
            predictions = arm.model.predict(prepared, current.extra_columns)
        else:
            predictions = await run_in_threadpool(arm.model.predict, prepared, current.extra_columns)
        outputs = prediction_rows(predictions)
        state.pacer.observe(arm.version, _ms_since(started))
    except Exception as exc:
        if state.prediction_log is not None:
            count = len(route.rows) if route.rows is not None else row_count(part)
            state.prediction_log.submit(Served(
                clock.now_ms(), request_id, current.model_name, arm.name, arm.version, payload, route.rows, (),
                [state.new_id() for _ in range(count)], _ms_since(started),
                f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT], flags,
            ))  # fmt: skip
        if isinstance(exc, CairnError):
            raise VersionRefusal(exc, arm.version) from None
        # As MLflow's scoring server does: a model that fails on an input the signature let
        # through is answered 400, naming the model's complaint; no traceback is logged.
        _log.warning("version %s failed to predict: %s: %s", arm.version, type(exc).__name__, exc)
        refusal = BadRequest(f"Version {arm.version} failed to predict on this input: "
                             f"{type(exc).__name__}: {_one_line(exc)}. Check the request against the "
                             "model's signature (GET /metadata).")
        raise VersionRefusal(refusal, arm.version) from None
    if route.rows is not None and len(outputs) != len(route.rows):
        raise CairnError(f"Version {arm.version} returned {len(outputs)} predictions for {len(route.rows)} rows.")
    return Served(clock.now_ms(), request_id, current.model_name, arm.name, arm.version, payload, route.rows,
                  outputs, [state.new_id() for _ in outputs], _ms_since(started), flags=flags)


def _merge(answers: list[Served], total: int, model_name: str, per_row: bool) -> dict[str, Any]:
    """One response from the arms' answers, each row back in its place in the request;
    ``per_row`` adds each row's version and arm."""
    rows: list[Any] = [None] * total
    versions: list[str] = [""] * total
    ids: list[str] = [""] * total
    arms: list[str] = [""] * total
    flags: list[Any] | None = None
    for answer in answers:
        if answer.flags is not None and flags is None:
            flags = [[] for _ in range(total)]
        for n, index in enumerate(answer.rows if answer.rows is not None else range(len(answer.outputs))):
            rows[index], versions[index], ids[index] = answer.outputs[n], answer.version, answer.prediction_ids[n]
            arms[index] = answer.arm
            if flags is not None and answer.flags is not None:
                flags[index] = answer.flags[n]
    served = ",".join(sorted(set(versions), key=int))
    document = {"predictions": rows, "model_name": model_name, "model_version": served, "prediction_ids": ids}
    if flags is not None:
        document["flags"] = flags  # per row: the features outside the training ranges
    if per_row:
        document["model_versions"] = versions
        document["arms"] = arms
    return document


def _one_line(exc: Exception, limit: int = 500) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rows(data: Any, rows: list[int] | None) -> Any:
    if rows is None:
        return data
    if hasattr(data, "iloc"):
        return data.iloc[rows].reset_index(drop=True)
    return [data[i] for i in rows]


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
