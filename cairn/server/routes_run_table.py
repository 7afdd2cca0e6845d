"""The runs table of one experiment as compact JSON: what the web UI's grid scrolls through.

* ``GET /api/cairn/v1/runs/table``: a window of rows (``offset``, ``limit``) of the top level, of
  one run's children (``parent``), or of one group's runs (``group`` with ``group_value``, or
  ``group_missing=true`` for the runs without the key). Each row has the run's attributes, how many
  children it has, and one value per chosen column (``cols``, repeated), in column order.
* ``GET /api/cairn/v1/runs/groups``: a window of the groups by ``group`` (``params.KEY`` or
  ``tags.KEY``): value, run count, and ``[min, mean, max, runs having it]`` per metric column.
* ``GET /api/cairn/v1/runs/keys``: the metric, param and tag keys the experiment's runs use.

Every call takes ``experiment_id``; the table ones take the view too: ``filter`` (run search's
grammar), ``order`` (one order_by clause such as ``metrics.`acc` DESC``), ``cols``. ``total`` (rows
or groups in the list) and ``matched`` (runs the filter matches) come with the first window
(``offset=0``) and are null after it, so scrolling never recounts. A filter that does not parse is
a 400 whose body also has ``position``: the offset of the bad token, for pointing at it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.errors import InvalidFilter, InvalidParameter
from cairn.tracking.run_table import TableQuery, table_groups, table_keys, table_rows
from cairn.ui.grid_wire import GRID_WINDOW, groups_to_wire, rows_to_wire

from .fields import Fields
from .state import db_of
from .wire import wire_json

PREFIX = "/api/cairn/v1/runs"


def _query(f: Fields, request: Request) -> TableQuery:
    return TableQuery.parse(
        f.required_string("experiment_id"), f.string("filter") or "", f.string("order") or "",
        request.query_params.getlist("cols"), f.string("group") or "",
    )  # fmt: skip


def _filter_error(error: InvalidFilter) -> Response:
    return wire_json({**error.to_wire(), "position": error.position}, status_code=error.http_status)


async def runs_table(request: Request) -> Response:
    f = Fields(request.query_params)
    offset, limit = f.int64("offset", default=0) or 0, f.int64("limit", default=GRID_WINDOW) or 0
    group_value, group_missing = f.string("group_value"), f.boolean("group_missing")
    in_group = group_value is not None or group_missing
    if group_value is not None and group_missing:
        raise InvalidParameter("Give group_value or group_missing=true, not both.")
    try:
        query = _query(f, request)
        found = await run_in_threadpool(
            table_rows, db_of(request), query, offset, limit, f.string("parent"), group_value, in_group
        )  # fmt: skip
    except InvalidFilter as error:
        return _filter_error(error)
    return wire_json(rows_to_wire(query, offset, found))


async def runs_groups(request: Request) -> Response:
    f = Fields(request.query_params)
    offset, limit = f.int64("offset", default=0) or 0, f.int64("limit", default=GRID_WINDOW) or 0
    try:
        query = _query(f, request)
        found = await run_in_threadpool(table_groups, db_of(request), query, offset, limit)
    except InvalidFilter as error:
        return _filter_error(error)
    return wire_json(groups_to_wire(query, offset, found))


async def runs_keys(request: Request) -> Response:
    f = Fields(request.query_params)
    keys = await run_in_threadpool(table_keys, db_of(request), f.required_string("experiment_id"))
    return wire_json({
        "metrics": keys.metrics, "params": keys.params, "tags": keys.tags, "attributes": keys.attributes,
        "truncated": keys.truncated,
    })  # fmt: skip


def routes() -> list[Route]:
    return [
        Route(f"{PREFIX}/table", runs_table, methods=["GET"]),
        Route(f"{PREFIX}/groups", runs_groups, methods=["GET"]),
        Route(f"{PREFIX}/keys", runs_keys, methods=["GET"]),
    ]
