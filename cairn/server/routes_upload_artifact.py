"""/mlflow/upload-artifact: the web UI's upload of one small file into a run's artifacts.

``POST ...?run_uuid=<run>&path=<relative path>`` with the file's bytes as the body. The body is
read with its size checked as it arrives, so a client cannot make the server hold more than the
domain's limit (10 MB, as in MLflow), then stored through the artifact store like any upload.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import InvalidParameter
from cairn.tracking import run_artifacts

from .fields import Fields
from .state import artifacts_of, db_of
from .wire import empty_response


async def upload_artifact(request: Request) -> Response:
    f = Fields(request.query_params)
    run_id = f.string("run_uuid") or f.string("run_id")
    if not run_id:
        raise InvalidParameter("Request must specify run_uuid.")
    path = f.string("path")
    if not path:
        raise InvalidParameter("Request must specify path.")
    run_artifacts.clean_upload_path(path)  # refuse a bad path before reading any of the body
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        run_artifacts.check_upload_size(int(declared))
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        run_artifacts.check_upload_size(len(data))
    await run_in_threadpool(
        run_artifacts.upload_run_artifact, db_of(request), artifacts_of(request), run_id, path, bytes(data)
    )
    return empty_response()


ROUTES = [
    ("/mlflow/upload-artifact", ["POST"], upload_artifact),
]
