"""``GET /api/cairn/v1/metric-series``: one run's metric downsampled for a chart.

Query: ``run_id``, ``key``, ``x`` (``step`` or ``timestamp``), optional ``start``/``end`` (the
visible x range; a chart refetches them on zoom) and ``buckets``. The answer is parallel arrays by
x: raw points when few, else per-bucket ``min``/``max``/``last`` (``cairn.tracking.metric_series``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.tracking.metric_series import DEFAULT_CHART_BUCKETS, get_metric_series

from .fields import Fields
from .state import db_of
from .wire import wire_json

PATH = "/api/cairn/v1/metric-series"


async def metric_series(request: Request) -> Response:
    f = Fields(request.query_params)
    buckets = f.int32("buckets")
    series = await run_in_threadpool(
        get_metric_series, db_of(request), f.required_string("run_id"), f.required_string("key"),
        f.string("x", default="step") or "step", f.int64("start"), f.int64("end"),
        DEFAULT_CHART_BUCKETS if buckets is None else buckets,
    )  # fmt: skip
    return wire_json({
        "run_id": series.run_id, "key": series.key, "x_axis": series.x_axis, "raw": series.is_raw,
        "start": series.start, "end": series.end,
        "x": series.x, "min": series.min, "max": series.max, "last": series.last,
    })  # fmt: skip


def routes() -> list[Route]:
    return [Route(PATH, metric_series, methods=["GET"])]
