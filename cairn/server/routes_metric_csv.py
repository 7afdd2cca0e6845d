"""``GET /api/cairn/v1/metric-history.csv``: every point of one run's metric, as a CSV download.

Query: ``run_id`` and ``key``. Columns ``step,timestamp,value``, in the history's order (step,
then timestamp). Finite values are written with ``repr`` so they read back exactly; non-finite
ones as ``NaN``, ``Infinity`` and ``-Infinity``, which Python's ``float``, pandas and spreadsheets
read back. The body streams chunk by chunk from one read snapshot
(``metrics_history.stream_metric_history``), so a million-point series is never held whole. An
unknown run is a 404 before the first byte; a key the run never logged is a header-only file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from cairn.entities import Metric
from cairn.tracking import metrics_history

from .fields import Fields
from .state import db_of

PATH = "/api/cairn/v1/metric-history.csv"
HEADER = b"step,timestamp,value\n"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def format_value(value: float) -> str:
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def csv_chunks(chunks: Iterator[list[Metric]]) -> Iterator[bytes]:
    yield HEADER
    for points in chunks:
        yield "".join(f"{p.step},{p.timestamp},{format_value(p.value)}\n" for p in points).encode()


def filename_of(run_id: str, key: str) -> str:
    """``<run id>-<key>.csv`` with anything but letters, digits, ``.``, ``_`` and ``-`` made ``_``."""
    return f"{run_id}-{_UNSAFE_IN_FILENAME.sub('_', key).strip('.') or 'metric'}.csv"


async def metric_history_csv(request: Request) -> Response:
    f = Fields(request.query_params)
    run_id, key = f.required_string("run_id"), f.required_string("key")
    chunks = await run_in_threadpool(metrics_history.stream_metric_history, db_of(request), run_id, key)
    headers = {
        "Content-Disposition": f'attachment; filename="{filename_of(run_id, key)}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return StreamingResponse(csv_chunks(chunks), media_type=CSV_MEDIA_TYPE, headers=headers)


def routes() -> list[Route]:
    return [Route(PATH, metric_history_csv, methods=["GET"])]
