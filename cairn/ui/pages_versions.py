"""One model version: ``models/<name>/versions/<n>`` answers ``cairn models show`` (what went into
it, how it was governed, when it served, its lineage), and ``.../report`` is the same dossier as a
printable, self-contained model report.

Model names cannot hold ``/``, so ``<name>/versions/<n>`` never reads as another model's page;
these routes sit before the model page's ``models/{name:path}``, which would take them whole.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cairn.tracking.clock import now_ms

from .model_report import dossier_context, render_report
from .pages import Handler, page
from .store_client import client_of
from .templating import Pages, base_path
from .version_dossier import Dossier, build_dossier


async def _dossier(request: Request) -> Dossier:
    name, number = request.path_params["name"], request.path_params["version"]
    return await run_in_threadpool(build_dossier, client_of(request), name, number)


def version_page(pages: Pages) -> Handler:
    """The version page. JSON twins: ``GET /api/cairn/v1/models/show?ref=NAME/N`` (version, files,
    Production intervals, events), ``/api/cairn/v1/lineage?ref=models:/NAME/N``,
    ``/api/cairn/v1/models/policy`` and ``/api/cairn/v1/transition-requests``; the run's facts
    through ``/api/2.0/mlflow/runs/get``."""

    @page(pages)
    async def handler(request: Request) -> Response:
        dossier = await _dossier(request)
        v = dossier.doc["version"]
        return pages.render(request, "version.html", title=f"{v['name']} v{v['version']}",
                            **dossier_context(dossier, base_path(request), now_ms()))

    return handler


def report_page(pages: Pages) -> Handler:
    """The printable model report (what ``cairn models report`` writes); JSON twins as the version page's."""

    @page(pages)
    async def handler(request: Request) -> Response:
        dossier = await _dossier(request)
        base = base_path(request)
        html = render_report(pages.env, dossier, base=base, origin=f"the Cairn server at {request.url.netloc}{base}",
                             now=now_ms())
        return HTMLResponse(html, headers={"X-Content-Type-Options": "nosniff"})

    return handler


def version_routes(pages: Pages) -> list[Route]:
    """Before ``models/{name:path}`` in the route list."""
    return [
        Route("/models/{name:path}/versions/{version:int}", version_page(pages), methods=["GET"]),
        Route("/models/{name:path}/versions/{version:int}/report", report_page(pages), methods=["GET"]),
    ]
