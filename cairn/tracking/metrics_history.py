"""Reading a metric's history, paged exactly as MLflow's get-history pages it."""

from __future__ import annotations

import math
from collections.abc import Iterator

from cairn.entities import Metric, PagedList
from cairn.errors import InvalidParameter, NotFound
from cairn.store import metrics as metric_rows
from cairn.store import runs as rows
from cairn.store.database import Database
from cairn.store.metrics import HistoryRow
from cairn.store.page_tokens import decode_token, encode_token

from .validation import parse_run_id, validate_int64, validate_key


def get_metric_history(
    db: Database, run_id: str, key: str, max_results: int | None = None, page_token: str | None = None
) -> PagedList:
    """All points of ``key`` (ordered by step, timestamp), or one page of ``max_results`` points
    with a ``next_page_token`` when more remain."""
    rows_page, token = get_history_rows(db, run_id, key, max_results, page_token)
    nan = math.nan
    points = [Metric(key, nan if is_nan else value, timestamp, step) for step, timestamp, value, is_nan in rows_page]
    return PagedList(points, token)


def get_history_rows(
    db: Database, run_id: str, key: str, max_results: int | None = None, page_token: str | None = None
) -> tuple[list[HistoryRow], str | None]:
    """``get_metric_history`` as the cursor's rows ``(step, timestamp, value, is_nan)`` and the
    next page's token, for a response that writes them straight out."""
    parse_run_id(run_id)
    validate_key("metric", key)
    limit = None
    if max_results is not None:
        limit = validate_int64("max_results", max_results)
        if limit <= 0:
            raise InvalidParameter(
                f"Invalid value {limit} for parameter 'max_results' supplied. It must be a positive integer."
            )
    offset = decode_token("metric-history", page_token)
    with db.read() as tx:
        if rows.get_run_info(tx, run_id) is None:
            raise NotFound(f"Run with id={run_id} not found.")
        found: list[HistoryRow] = []
        for chunk in metric_rows.iter_history_rows(tx, run_id, key, None, None if limit is None else limit + 1, offset):
            found.extend(chunk)
    if limit is not None and len(found) > limit:
        return found[:limit], encode_token("metric-history", offset + limit)
    return found, None


def stream_metric_history(db: Database, run_id: str, key: str, chunk_size: int = 10_000) -> Iterator[list[Metric]]:
    """The whole history of ``key`` as chunks of points, read from one snapshot, for responses
    that stream a large history instead of holding it whole. NotFound is raised here, before
    the first chunk, so a server can still answer 404."""
    parse_run_id(run_id)
    validate_key("metric", key)
    with db.read() as tx:
        if rows.get_run_info(tx, run_id) is None:
            raise NotFound(f"Run with id={run_id} not found.")
    return _chunks(db, run_id, key, chunk_size)


def _chunks(db: Database, run_id: str, key: str, chunk_size: int) -> Iterator[list[Metric]]:
    with db.read() as tx:
        yield from metric_rows.iter_history(tx, run_id, key, chunk_size)


def stream_history_rows(
    db: Database, run_id: str, key: str, chunk_size: int = 10_000
) -> Iterator[list[HistoryRow]]:
    """``stream_metric_history`` as the cursor's rows, ``(step, timestamp, value, is_nan)`` with
    a NaN stored as 0.0 and ``is_nan`` set: for a response that writes them straight out."""
    parse_run_id(run_id)
    validate_key("metric", key)
    with db.read() as tx:
        if rows.get_run_info(tx, run_id) is None:
            raise NotFound(f"Run with id={run_id} not found.")
    return _row_chunks(db, run_id, key, chunk_size)


def _row_chunks(db: Database, run_id: str, key: str, chunk_size: int) -> Iterator[list[HistoryRow]]:
    with db.read() as tx:
        yield from metric_rows.iter_history_rows(tx, run_id, key, chunk_size)
