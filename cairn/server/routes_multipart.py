"""MLflow's multipart-upload API: /mlflow-artifacts/mpu/{create,complete,abort}/<path>.

The mlflow client uses it for a file of at least ``MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE``
bytes when ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`` is true, or, when that is unset, when the
server's ``/server-info`` says ``multipart_uploads_enabled``. ``create`` answers one presigned URL
per part; the client PUTs the parts there, straight to S3, then names them to ``complete`` (or
calls ``abort`` after a failure). The file lands at ``<path>/<basename of the body's path>``.

A server started without ``--artifacts-presigned`` answers 501 ``NOT_IMPLEMENTED`` with MLflow's
own message, which is how the mlflow client knows to fall back to a proxied PUT.
"""

from __future__ import annotations

import re
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.artifacts.paths import clean_relative_path
from cairn.artifacts.presigned import PresignedUploads, UploadedPart
from cairn.errors import InvalidParameter, Unsupported

from .decoders import request_fields
from .fields import Fields, missing
from .state import state_of
from .wire import empty_response, wire_json

MPU = "/mlflow-artifacts/mpu"
_SEPARATORS = re.compile(r"[/\\]")
# The mlflow client falls back to a proxied upload only on a message starting with these words
# (_UnsupportedMultipartUploadException.MESSAGE), whatever the error code.
UNSUPPORTED_MESSAGE = (
    "Multipart upload is not supported for the current artifact repository: "
    "start the server with --artifacts-presigned and an s3:// --artifacts-destination to enable it."
)


def _location(request: Request, f: Fields) -> str:
    """Where the file goes: the route's path, then the file name of the body's ``path`` (the
    client's local file, as MLflow's server names it)."""
    directory = clean_relative_path(request.path_params["path"])
    # The last part after either separator: a client on Windows sends C:\Users\me\file.bin.
    name = _SEPARATORS.split(f.required_string("path"))[-1]
    if not name:
        raise InvalidParameter("path must name the file being uploaded, not end with a separator.")
    return clean_relative_path(f"{directory}/{name}" if directory else name, allow_empty=False)


def _uploads(request: Request) -> PresignedUploads:
    uploads = state_of(request).presigned
    if uploads is None:
        raise Unsupported(UNSUPPORTED_MESSAGE)
    return uploads


async def create_upload(request: Request) -> Response:
    f = await request_fields(request)
    location = _location(request, f)
    num_parts = f.int32("num_parts")
    if num_parts is None:
        num_parts = 1
    started = await run_in_threadpool(_uploads(request).start, location, num_parts)
    credentials = [
        {"url": url, "part_number": number, "headers": {}}
        for number, url in enumerate(started.part_urls, start=1)
    ]  # fmt: skip
    return wire_json({"upload_id": started.upload_id, "credentials": credentials})


async def complete_upload(request: Request) -> Response:
    f = await request_fields(request)
    location = _location(request, f)
    upload_id = f.required_string("upload_id")
    if not f.has("parts"):
        raise missing("parts")
    parts = [
        UploadedPart(part_number=_part_number(part), etag=part.string("etag") or "")
        for part in f.messages("parts")
    ]  # fmt: skip
    # The parts never passed through the server, so --max-artifact-bytes is checked here.
    limit = state_of(request).config.max_artifact_bytes
    await run_in_threadpool(partial(_uploads(request).complete, location, upload_id, parts, max_bytes=limit))
    return empty_response()


async def abort_upload(request: Request) -> Response:
    f = await request_fields(request)
    location = _location(request, f)
    upload_id = f.required_string("upload_id")
    await run_in_threadpool(_uploads(request).abort, location, upload_id)
    return empty_response()


def _part_number(part: Fields) -> int:
    number = part.int32("part_number")
    if number is None:
        raise missing(f"{part.path}.part_number")
    return number


ROUTES = [
    (MPU + "/create/{path:path}", ["POST"], create_upload),
    (MPU + "/complete/{path:path}", ["POST"], complete_upload),
    (MPU + "/abort/{path:path}", ["POST"], abort_upload),
]
