"""A stored file sent to a browser or client as a download: streamed in blocks (memory stays flat
whatever the size), as an attachment with ``nosniff``, so an uploaded HTML or SVG file is never
rendered on this origin; whole and sha256-verified, or one byte range. Every download route of the
server and the web UI answers through it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from cairn.artifacts.base import ArtifactStore
from cairn.entities import FileInfo
from cairn.errors import NotFound, StoreUnavailable
from cairn.store.database import Database
from cairn.tracking.retention_trail import explained
from cairn.web.byte_ranges import HTTP_200_OK, HTTP_206_PARTIAL_CONTENT, requested_range

log = logging.getLogger(__name__)

BLOCK_SIZE = 1 << 20


async def file_response(request: Request, store: ArtifactStore, location: str, db: Database) -> Response:
    """The file at ``location`` (already cleaned), streamed as an attachment with ``nosniff``:
    whole and verified, or the one byte range the request's ``Range`` header asks for. A file
    retention deleted is a ``NotFound`` saying when and by which policy."""
    info = await run_in_threadpool(_stat, store, location, db)
    if info.is_dir:
        raise NotFound(f"'{location}' is a directory, not a file; list it with ?path= instead.")
    size = info.file_size or 0
    wanted = requested_range(request.headers.get("range"), size)
    name = location.rsplit("/", 1)[-1]
    headers = {
        "accept-ranges": "bytes",
        "content-disposition": f"attachment; filename*=utf-8''{quote(name)}",
        "x-content-type-options": "nosniff",
    }
    if request.method == "HEAD":  # the headers alone: no need to read the file from the store
        headers["content-length"] = str(size if wanted is None else wanted.stop - wanted.start)
        if wanted is not None:
            headers["content-range"] = wanted.content_range
        status = HTTP_200_OK if wanted is None else HTTP_206_PARTIAL_CONTENT
        return Response(status_code=status, media_type="application/octet-stream", headers=headers)
    if wanted is None:
        chunks = await run_in_threadpool(store.iter_bytes, location, BLOCK_SIZE)
        headers["content-length"] = str(size)
        return FileStream(location, chunks, media_type="application/octet-stream", headers=headers)
    chunks = await run_in_threadpool(store.iter_range, location, wanted.start, wanted.stop, BLOCK_SIZE)
    headers["content-length"] = str(wanted.stop - wanted.start)
    headers["content-range"] = wanted.content_range
    return FileStream(
        location, chunks, status_code=HTTP_206_PARTIAL_CONTENT, media_type="application/octet-stream", headers=headers
    )


class FileStream(StreamingResponse):
    """A streamed artifact. When the store fails after the headers went out (the content does
    not match its sha256, the object store stops answering), there is no status left to change:
    the response is left unfinished, so the server drops the connection and the client sees a
    short read instead of a complete, wrong file. One log line says why; no traceback."""

    def __init__(self, location: str, chunks: Iterator[bytes], **options: Any) -> None:
        super().__init__(chunks, **options)
        self.location = location

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except StoreUnavailable as exc:
            log.error("download of artifact %r stopped: %s", self.location, exc.message)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _stat(store: ArtifactStore, location: str, db: Database) -> FileInfo:
    with explained(db, location):
        return store.stat(location)
