"""The runs grid's windows under the experiment's page: ``{base}experiments/{id}/runs-table`` and
``.../runs-groups``, the same queries and JSON as ``GET /api/cairn/v1/runs/table`` and ``/groups``
(``tracking.run_table`` and ``grid_wire``). They live under the UI's paths because the UI's session
cookie signs a browser in on the UI's routes only (never the API's); the route table checks READ
on the experiment named in the path, and an ``experiment_id`` in the query string is ignored.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import CairnError, InvalidFilter, InvalidParameter
from cairn.tracking.run_table import TableQuery, table_groups, table_rows
from cairn.tracking.validation import validate_int64
from cairn.web.errors import error_response

from .grid_wire import GRID_WINDOW, groups_to_wire, rows_to_wire
from .json_twin import json_twin
from .pages import Handler
from .stores import stores_of
from .templating import Pages


def _integer(params: QueryParams, name: str, default: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        return validate_int64(name, int(text))
    except ValueError:
        raise InvalidParameter(f"{name} must be a whole number, got '{text}'.") from None


def _query(request: Request) -> TableQuery:
    p = request.query_params
    return TableQuery.parse(request.path_params["experiment_id"], p.get("filter") or "", p.get("order") or "",
                            p.getlist("cols"), p.get("group") or "")


def _failed(request: Request, error: CairnError) -> Response:
    if isinstance(error, InvalidFilter):  # the grid marks the bad token at ``position``
        return json_twin({**error.to_wire(), "position": error.position}, status=error.http_status)
    return error_response(request, error)


def runs_table(pages: Pages) -> Handler:
    async def handler(request: Request) -> Response:
        p = request.query_params
        try:
            offset, limit = _integer(p, "offset", 0), _integer(p, "limit", GRID_WINDOW)
            group_value, group_missing = p.get("group_value"), p.get("group_missing", "").lower() == "true"
            if group_value is not None and group_missing:
                raise InvalidParameter("Give group_value or group_missing=true, not both.")
            query = _query(request)
            found = await run_in_threadpool(
                table_rows, stores_of(request).db, query, offset, limit, p.get("parent"), group_value,
                group_value is not None or group_missing,
            )  # fmt: skip
        except CairnError as error:
            return _failed(request, error)
        return json_twin(rows_to_wire(query, offset, found))

    return handler


def runs_groups(pages: Pages) -> Handler:
    async def handler(request: Request) -> Response:
        p = request.query_params
        try:
            offset, limit = _integer(p, "offset", 0), _integer(p, "limit", GRID_WINDOW)
            query = _query(request)
            found = await run_in_threadpool(table_groups, stores_of(request).db, query, offset, limit)
        except CairnError as error:
            return _failed(request, error)
        return json_twin(groups_to_wire(query, offset, found))

    return handler
