"""The run page's data for the browser: a metric's downsampled series for its charts, a metric's
full history as CSV, and an artifact's download. The same domain functions as the REST API's ``/api/cairn/v1/metric-series``
``/metric-history.csv`` and ``/get-artifact``, under the UI's paths, because the UI's session cookie signs a browser in on
the UI's routes only (never the API's). The run is the one in the path (the route table checks
READ on its experiment); a ``run_id`` in the query string is ignored.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import CairnError, InvalidParameter
from cairn.tracking import runs
from cairn.tracking.metric_series import DEFAULT_CHART_BUCKETS, get_metric_series
from cairn.tracking.validation import validate_int64
from cairn.web.downloads import file_response
from cairn.web.errors import error_response
from cairn.web.metric_csv import metric_csv_response

from . import artifact_previews
from .json_twin import json_twin
from .pages import Handler, page
from .stores import stores_of
from .templating import Pages


def _integer(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return validate_int64(name, int(text))
    except ValueError:
        raise InvalidParameter(f"{name} must be a whole number, got '{text}'.") from None


def metric_series(pages: Pages) -> Handler:
    async def handler(request: Request) -> Response:
        params = request.query_params
        try:
            buckets = _integer(request, "buckets")
            series = await run_in_threadpool(
                get_metric_series, stores_of(request).db, request.path_params["run_id"], params.get("key", ""),
                params.get("x") or "step", _integer(request, "start"), _integer(request, "end"),
                DEFAULT_CHART_BUCKETS if buckets is None else buckets,
            )  # fmt: skip
        except CairnError as exc:  # the chart reads JSON, errors included
            return error_response(request, exc)
        return json_twin({
            "run_id": series.run_id, "key": series.key, "x_axis": series.x_axis, "raw": series.is_raw,
            "start": series.start, "end": series.end,
            "x": series.x, "min": series.min, "max": series.max, "last": series.last,
        })  # fmt: skip

    return handler


def download(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        stores = stores_of(request)
        run = await run_in_threadpool(runs.get_run, stores.db, request.path_params["run_id"])
        location = artifact_previews.location_of(run, request.query_params.get("path", ""), allow_empty=False)
        return await file_response(request, stores.artifacts, location, stores.db)

    return handler


def metric_csv(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        key = request.query_params.get("key", "")
        if not key:
            raise InvalidParameter("Missing value for required parameter 'key'.")
        return await metric_csv_response(stores_of(request).db, request.path_params["run_id"], key)

    return handler
