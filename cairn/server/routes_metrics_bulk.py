"""One metric across many runs, for the web UI's charts: /mlflow/metrics/get-history-bulk (whole
histories) and /mlflow/metrics/get-history-bulk-interval (an even sample per run).

Runs are repeated query parameters (``?run_id=a&run_id=b`` and ``?run_ids=a&run_ids=b``), as the
UI sends them. Each point carries its ``run_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import Metric
from cairn.tracking import metric_histories

from .decoders import request_fields
from .encoders import metric_to_wire
from .state import db_of
from .wire import wire_json


def points_to_wire(points: Sequence[tuple[str, Metric]]) -> list[dict[str, Any]]:
    """MLflow's MetricWithRunId messages."""
    return [{**metric_to_wire(point), "run_id": run_id} for run_id, point in points]


async def get_metric_history_bulk(request: Request) -> Response:
    f = await request_fields(request)
    run_ids = f.strings("run_id")
    key = f.string("metric_key")
    max_results = f.int32("max_results")
    points = await run_in_threadpool(metric_histories.get_metric_histories, db_of(request), run_ids, key, max_results)
    # MLflow writes this answer by hand, not from a proto message: "metrics" is there even when empty.
    return wire_json({"metrics": points_to_wire(points)})


async def get_metric_history_bulk_interval(request: Request) -> Response:
    f = await request_fields(request)
    run_ids = f.strings("run_ids")
    key = f.string("metric_key")
    start_step = f.int64("start_step")
    end_step = f.int64("end_step")
    max_results = f.int32("max_results")
    points = await run_in_threadpool(
        metric_histories.sample_metric_histories, db_of(request), run_ids, key, max_results, start_step, end_step
    )
    return wire_json({"metrics": points_to_wire(points)} if points else {})


ROUTES = [
    ("/mlflow/metrics/get-history-bulk", ["GET"], get_metric_history_bulk),
    ("/mlflow/metrics/get-history-bulk-interval", ["GET"], get_metric_history_bulk_interval),
]
