"""One metric's full history as CSV: ``step,timestamp,value``, streamed.

Finite values are written with ``repr`` so they read back exactly; non-finite ones as ``NaN``,
``Infinity`` and ``-Infinity``, which Python's ``float``, pandas and spreadsheets read back. Shared
by the REST API's ``/api/cairn/v1/metric-history.csv`` and the web UI's twin under a run's path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from cairn.entities import Metric
from cairn.store.database import Database
from cairn.tracking import metrics_history

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



async def metric_csv_response(db: Database, run_id: str, key: str) -> Response:
    """The download: a 404 (unknown run) before the first byte; a key never logged is a header-only file."""
    chunks = await run_in_threadpool(metrics_history.stream_metric_history, db, run_id, key)
    headers = {
        "Content-Disposition": f'attachment; filename="{filename_of(run_id, key)}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return StreamingResponse(csv_chunks(chunks), media_type=CSV_MEDIA_TYPE, headers=headers)
