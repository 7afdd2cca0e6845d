"""The home page: every active experiment with its run count and last activity (with ``--auth``,
every one the caller may read)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.entities import Experiment
from cairn.tracking import experiments

from .pages import Handler, page
from .stores import stores_of
from .templating import Pages
from .visibility import EXPERIMENT, readable_keys

MAX_EXPERIMENTS_SHOWN = 1000


def experiments_page(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        db = stores_of(request).db

        def load() -> list[tuple[Experiment, int, int | None]]:
            visible = readable_keys(request, EXPERIMENT)
            found = experiments.search_experiments(db, max_results=MAX_EXPERIMENTS_SHOWN, visible=visible).items
            activity = experiments.experiment_activity(db, [e.experiment_id for e in found])
            rows = [(e, *activity[e.experiment_id]) for e in found]
            return sorted(rows, key=lambda r: -(r[2] or r[0].last_update_time or 0))

        rows = await run_in_threadpool(load)
        has_runs = any(count for _, count, _ in rows)
        twin = {"experiments": [{"experiment": e, "run_count": count, "last_activity": last} for e, count, last in rows]}
        return pages.render(request, "experiments.html", twin=twin, rows=rows, has_runs=has_runs, title="Experiments")

    return handler
