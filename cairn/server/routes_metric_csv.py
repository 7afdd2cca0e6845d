"""``GET /api/cairn/v1/metric-history.csv``: every point of one run's metric, as a CSV download.

Query: ``run_id`` and ``key``. Columns ``step,timestamp,value``, in the history's order (step,
then timestamp), formatted by ``web.metric_csv``. The body streams chunk by chunk from one read snapshot
(``metrics_history.stream_metric_history``), so a million-point series is never held whole. An
unknown run is a 404 before the first byte; a key the run never logged is a header-only file.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.web.metric_csv import metric_csv_response

from .fields import Fields
from .state import db_of

PATH = "/api/cairn/v1/metric-history.csv"


async def metric_history_csv(request: Request) -> Response:
    f = Fields(request.query_params)
    return await metric_csv_response(db_of(request), f.required_string("run_id"), f.required_string("key"))


def routes() -> list[Route]:
    return [Route(PATH, metric_history_csv, methods=["GET"])]
