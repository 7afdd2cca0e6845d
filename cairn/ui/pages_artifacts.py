"""The artifacts browser's parts, fetched by htmx: a folder's listing, a file's preview, and a
raster image served inline (under a CSP that forbids everything else) for the preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import InvalidParameter
from cairn.store.database import Database
from cairn.tracking import runs
from cairn.tracking.retention_trail import explain_missing, explained

from . import artifact_previews
from .pages import Handler, page
from .stores import stores_of
from .templating import Pages

_T = TypeVar("_T")
_IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=60",
}


def listing_part(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        stores, path = stores_of(request), request.query_params.get("path", "")
        run = await run_in_threadpool(runs.get_run, stores.db, request.path_params["run_id"])
        files = await run_in_threadpool(artifact_previews.list_files, stores.artifacts, run, path)
        gone = None
        if not files:  # an empty folder, or files retention deleted: say which
            gone = await run_in_threadpool(explain_missing, stores.db, artifact_previews.location_of(run, path))
        return pages.render(request, "_artifact_list.html", run=run, files=files, gone=gone)

    return handler


def preview_part(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        stores, path = stores_of(request), request.query_params.get("path", "")
        run = await run_in_threadpool(runs.get_run, stores.db, request.path_params["run_id"])
        shown = await run_in_threadpool(_explained, stores.db, artifact_previews.location_of(run, path),
                                        artifact_previews.preview, stores.artifacts, run, path)
        return pages.render(request, "_artifact_preview.html", run=run, preview=shown)

    return handler


def image(pages: Pages) -> Handler:
    @page(pages)
    async def handler(request: Request) -> Response:
        stores, path = stores_of(request), request.query_params.get("path", "")
        media_type = artifact_previews.IMAGE_TYPES.get(PurePosixPath(path).suffix.lower())
        if media_type is None:
            raise InvalidParameter("Only PNG, JPEG, GIF and WebP images are shown inline; download other files.")
        run = await run_in_threadpool(runs.get_run, stores.db, request.path_params["run_id"])
        location = artifact_previews.location_of(run, path, allow_empty=False)
        info = await run_in_threadpool(_explained, stores.db, location, stores.artifacts.stat, location)
        if (info.file_size or 0) > artifact_previews.IMAGE_PREVIEW_MAX_BYTES:
            raise InvalidParameter("This image is too large to preview; download it instead.")

        def read() -> bytes:
            with stores.artifacts.open(location) as stream:
                return stream.read()

        return Response(await run_in_threadpool(read), media_type=media_type, headers=_IMAGE_HEADERS)

    return handler


def _explained(db: Database, location: str, read: Callable[..., _T], *args: Any) -> _T:
    """``read(*args)``, a file retention deleted answered with when and by which policy it went."""
    with explained(db, location):
        return read(*args)
