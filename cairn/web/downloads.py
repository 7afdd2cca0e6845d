"""A stored file sent to a browser or client as a download: streamed in blocks (memory stays flat
whatever the size), as an attachment with ``nosniff``, so an uploaded HTML or SVG file is never
rendered on this origin. Every download route of the server and the web UI answers through it."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import FileInfo
from cairn.errors import NotFound
from cairn.store.database import Database
from cairn.tracking.retention_trail import explained

BLOCK_SIZE = 1 << 20


async def file_response(store: LocalArtifactStore, location: str, db: Database) -> Response:
    """The file at ``location`` (already cleaned), streamed as an attachment with ``nosniff``;
    a file retention deleted is a ``NotFound`` saying when and by which policy."""
    info = await run_in_threadpool(_stat, store, location, db)
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


def _stat(store: LocalArtifactStore, location: str, db: Database) -> FileInfo:
    with explained(db, location):
        return store.stat(location)
