"""Metric histories: /mlflow/metrics/get-history, paged exactly as MLflow pages it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.tracking import metrics_history

from .decoders import request_fields, run_id_of
from .encoders import metrics_to_wire
from .state import db_of
from .wire import wire_json


async def get_metric_history(request: Request) -> Response:
    """Without ``max_results`` the whole history in one response; with it, that many points and a
    ``next_page_token`` while more remain. ``max_results <= 0`` is refused, as in MLflow."""
    f = await request_fields(request)
    run_id = run_id_of(f)
    key = f.required_string("metric_key")
    max_results = f.int32("max_results")
    page_token = f.string("page_token") or None
    page = await run_in_threadpool(
        metrics_history.get_metric_history, db_of(request), run_id, key, max_results, page_token
    )
    payload: dict[str, object] = {}
    if page.items:
        payload["metrics"] = metrics_to_wire(page.items)
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return wire_json(payload)


ROUTES = [
    ("/mlflow/metrics/get-history", ["GET"], get_metric_history),
]
