"""Artifacts: the run listing /mlflow/artifacts/list and the artifact proxy
/mlflow-artifacts/artifacts[/<path>] (PUT upload, GET download or list, DELETE).

Every user-supplied path goes through ``clean_relative_path`` exactly once, after the server's
single percent-decoding, so ``..``, ``%2e%2e``, ``%252e``, backslashes, absolute paths and NUL
are refused with 400 before the store is touched. Uploads and downloads stream in 1 MiB blocks:
memory stays flat whatever the file size, whichever store (folder or S3) holds the bytes.
Downloads are attachments with ``nosniff``, so an uploaded HTML or SVG file is never rendered by
a browser on this origin. A whole-file download is checked against its sha256 as it streams (the
last block is sent only once it matches, so a corrupted file never arrives complete); a ``Range``
request gets its single byte range (206), unverified, since a part cannot be checked.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import anyio.from_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.artifacts.base import ArtifactStore
from cairn.artifacts.paths import clean_relative_path
from cairn.tracking import runs
from cairn.tracking.locations import store_path_of
from cairn.web.downloads import BLOCK_SIZE, file_response

from .decoders import request_fields, run_id_of
from .encoders import file_info_to_wire
from .state import artifacts_of, db_of
from .wire import empty_response, wire_json

PIPELINE_BLOCKS = 4
PROXY = "/mlflow-artifacts/artifacts"


async def list_run_artifacts(request: Request) -> Response:
    """Files directly under ``path`` in a run's artifacts, paths relative to the run's root."""
    f = await request_fields(request)
    run_id = run_id_of(f)
    path = f.string("path") or ""
    f.string("page_token")  # type-checked, then unused: the whole listing fits one page
    run = await run_in_threadpool(runs.get_run, db_of(request), run_id)
    files = await list_under(request, run.info.artifact_uri, path)
    payload: dict[str, object] = {"root_uri": run.info.artifact_uri}
    if files:
        payload["files"] = files
    return wire_json(payload)


async def list_under(request: Request, artifact_uri: str, path: str) -> list[dict[str, object]]:
    """The listing of ``path`` below a run's or model's artifact root, paths relative to it."""
    return await run_in_threadpool(files_under, artifacts_of(request), artifact_uri, path)


def files_under(store: ArtifactStore, artifact_uri: str, path: str) -> list[dict[str, object]]:
    root = store_path_of(artifact_uri)
    relative = clean_relative_path(path)
    location = f"{root}/{relative}" if relative else root
    return [file_info_to_wire(info, info.path[len(root) + 1 :]) for info in store.list(location)]


async def list_artifacts(request: Request) -> Response:
    """The proxy listing: entries of ``?path=`` by name (MLflow's shape), [] when missing."""
    f = await request_fields(request)
    location = clean_relative_path(f.string("path") or "")
    found = await run_in_threadpool(artifacts_of(request).list, location)
    payload: dict[str, object] = {}
    if found:
        payload["files"] = [file_info_to_wire(info, info.path.rsplit("/", 1)[-1]) for info in found]
    return wire_json(payload)


async def upload_artifact(request: Request) -> Response:
    location = clean_relative_path(request.path_params["path"], allow_empty=False)
    # The event loop reads the body into 1 MiB blocks while a worker thread hashes and writes
    # the previous ones; at most PIPELINE_BLOCKS blocks wait in between (constant memory).
    send, receive = anyio.create_memory_object_stream[bytearray](max_buffer_size=PIPELINE_BLOCKS)
    failure: list[BaseException] = []

    async def read_body() -> None:
        async with send:
            try:
                block = bytearray()
                async for chunk in request.stream():
                    block += chunk
                    if len(block) >= BLOCK_SIZE:
                        await send.send(block)
                        block = bytearray()
                if block:
                    await send.send(block)
            except Exception as exc:  # too large, client gone: handed to the writer, which aborts
                failure.append(exc)

    def blocks() -> Iterator[bytearray]:
        while True:
            try:
                yield anyio.from_thread.run(receive.receive)
            except anyio.EndOfStream:
                if failure:
                    raise failure[0] from None
                return

    error: Exception | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read_body)
        try:
            await run_in_threadpool(artifacts_of(request).put_stream, location, blocks())
        except Exception as exc:  # raised below, outside the task group that would wrap it
            error = exc
            tasks.cancel_scope.cancel()  # the reader may be waiting for room that never comes
    if error is not None:
        raise error
    return empty_response()


async def download_artifact(request: Request) -> Response:
    location = clean_relative_path(request.path_params["path"], allow_empty=False)
    return await file_response(request, artifacts_of(request), location, db_of(request))


async def delete_artifact(request: Request) -> Response:
    location = clean_relative_path(request.path_params["path"], allow_empty=False)
    await run_in_threadpool(artifacts_of(request).delete, location)
    return empty_response()


ROUTES = [
    ("/mlflow/artifacts/list", ["GET"], list_run_artifacts),
    (PROXY, ["GET"], list_artifacts),
    (PROXY + "/{path:path}", ["PUT"], upload_artifact),
    (PROXY + "/{path:path}", ["GET"], download_artifact),
    (PROXY + "/{path:path}", ["DELETE"], delete_artifact),
]
