"""A stored file sent to a browser or client as a download: streamed in blocks (memory stays flat
whatever the size), as an attachment with ``nosniff``, so an uploaded HTML or SVG file is never
rendered on this origin. Every download route of the server and the web UI answers through it."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from cairn.artifacts.local import LocalArtifactStore
from cairn.errors import NotFound

BLOCK_SIZE = 1 << 20


async def file_response(store: LocalArtifactStore, location: str) -> Response:
    """The file at ``location`` (already cleaned), streamed as an attachment with ``nosniff``."""
    info = await run_in_threadpool(store.stat, location)
    if info.is_dir:
        raise NotFound(f"'{location}' is a directory, not a file; list it with ?path= instead.")
    chunks = await run_in_threadpool(store.iter_bytes, location, BLOCK_SIZE)
    name = location.rsplit("/", 1)[-1]
    headers = {
        "content-length": str(info.file_size),
        "content-disposition": f"attachment; filename*=utf-8''{quote(name)}",
        "x-content-type-options": "nosniff",
    }
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)
