"""Metric histories: /mlflow/metrics/get-history, paged exactly as MLflow pages it."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from cairn.tracking import metrics_history
from cairn.tracking.metrics_history import HistoryRow

from .decoders import request_fields, run_id_of
from .encoders import history_rows_to_wire
from .state import db_of
from .wire import JSON_MEDIA_TYPE, encode_json, wire_json


async def get_metric_history(request: Request) -> Response:
    """Without ``max_results`` the whole history, streamed; with it, that many points and a
    ``next_page_token`` while more remain. ``max_results <= 0`` is refused, as in MLflow."""
    f = await request_fields(request)
    run_id = run_id_of(f)
    key = f.required_string("metric_key")
    max_results = f.int32("max_results")
    page_token = f.string("page_token") or None
    if max_results is None and page_token is None:
        chunks = await run_in_threadpool(metrics_history.stream_history_rows, db_of(request), run_id, key)
        return StreamingResponse(_encode_history(key, chunks), media_type=JSON_MEDIA_TYPE)
    rows, token = await run_in_threadpool(
        metrics_history.get_history_rows, db_of(request), run_id, key, max_results, page_token
    )
    payload: dict[str, object] = {}
    if rows:
        payload["metrics"] = history_rows_to_wire(key, rows)
    if token:
        payload["next_page_token"] = token
    return wire_json(payload)


def _encode_history(key: str, chunks: Iterator[list[HistoryRow]]) -> Iterator[bytes]:
    # The unpaged history streams chunk by chunk: a 100k-point answer is never one bytes object,
    # and the first points leave while later ones are read. An empty history is {} as in MLflow.
    # The cursor's rows become the wire's objects directly (no Metric per point).
    first = True
    for rows in chunks:
        if not rows:
            continue
        body = encode_json(history_rows_to_wire(key, rows))[1:-1]
        yield (b'{"metrics":[' if first else b",") + body
        first = False
    yield b"{}" if first else b"]}"


ROUTES = [
    ("/mlflow/metrics/get-history", ["GET"], get_metric_history),
]
