"""``GET {base}compare?run=<id>&run=<id>...``: 2 to 20 runs compared (``compare_view``).

Optional repeated ``metric`` (the charts to draw) and ``axis`` (``params.X`` or ``metrics.X``,
the parallel coordinates' axes); ``all=1`` starts with "differences only" off. The runs grid
links here with the same ``run`` parameters.

JSON twin: ``?format=json`` answers the same comparison as JSON: the runs (with their chart
colours), the baseline, each ``diff`` document exactly as ``GET /api/cairn/v1/runs/diff`` and
``cairn diff --json`` write it, and per chart the series and CSV URLs to fetch; errors come back as
``{"error_code", "message"}`` with the page's status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import CairnError
from cairn.registry.diff_reader import StoreRunReader
from cairn.web.json_floats import quote_non_finite

from .chart_runs import runs_json
from .compare_view import (
    MAX_PATCH_LINES_SHOWN,
    CompareView,
    compared_run_ids,
    load_compare,
)
from .pages import Handler, page
from .stores import stores_of
from .templating import Pages, base_path

SERIES_PATH = "api/cairn/v1/metric-series"
CSV_PATH = "api/cairn/v1/metric-history.csv"


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    body = orjson.dumps(quote_non_finite(payload))
    return Response(body, status_code=status, media_type="application/json", headers={"X-Content-Type-Options": "nosniff"})


def compare_document(view: CompareView, base: str) -> dict[str, Any]:
    def url(path: str, run_id: str, key: str) -> str:
        return f"{base}{path}?{urlencode({'run_id': run_id, 'key': key})}"

    return {
        "baseline": view.run_ids[0],
        "runs": [{"run_id": r.info.run_id, "run_name": r.info.run_name, "experiment_id": r.info.experiment_id,
                  "status": r.info.status, "start_time": r.info.start_time, "end_time": r.info.end_time,
                  "color": c.color} for r, c in zip(view.runs, view.colors, strict=True)],
        "diffs": [{"a": d["runs"]["a"]["run_id"], "b": d["runs"]["b"]["run_id"], "diff": d} for d in view.diffs],
        "charts": [{"key": chart.key, "series": [
            {"run_id": r.run_id, "series": url(SERIES_PATH, r.run_id, chart.key), "csv": url(CSV_PATH, r.run_id, chart.key)}
            for r in chart.runs]} for chart in view.charts],
        "parallel_axes": view.axes,
    }  # fmt: skip


def compare_page(pages: Pages) -> Handler:
    async def handler(request: Request) -> Response:
        q = request.query_params
        stores = stores_of(request)

        def load() -> CompareView:
            ids = compared_run_ids(q.getlist("run"))
            return load_compare(stores.db, StoreRunReader(stores.db, stores.artifacts), ids, q.getlist("metric"), q.getlist("axis"))

        if q.get("format") == "json":
            try:
                view = await run_in_threadpool(load)
            except CairnError as exc:
                return _json(exc.to_wire(), exc.http_status)
            return _json(compare_document(view, base_path(request)))
        view = await run_in_threadpool(load)
        kept = [(name, value) for name, value in q.multi_items() if name in ("metric", "axis", "all")]

        def link(run_ids: list[str]) -> str:
            """This page's address over ``run_ids``, the other choices kept."""
            return "compare?" + urlencode([("run", run_id) for run_id in run_ids] + kept)

        return pages.render(
            request, "compare.html", view=view, title=f"Compare {len(view.runs)} runs", show_all=q.get("all") == "1",
            chart_runs=runs_json(view.colors), link=link, max_patch_lines=MAX_PATCH_LINES_SHOWN,
        )  # fmt: skip

    return page(pages)(handler)
