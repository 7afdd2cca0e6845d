"""/mlflow/logged-models/<model_id>/artifacts/files?artifact_file_path=<path>: one file of a
logged model, as the web UI downloads it (the listing is ``.../artifacts/directories`` in
``routes_logged_models``).

The path goes through ``clean_relative_path`` and is joined to the model's own artifact root;
the file is served like every artifact download: an attachment with ``nosniff``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.artifacts.paths import clean_relative_path
from cairn.errors import BadRequest
from cairn.tracking import logged_models
from cairn.tracking.locations import store_path_of

from .fields import Fields
from .routes_artifacts import file_response
from .state import artifacts_of, db_of


async def get_logged_model_artifact(request: Request) -> Response:
    path = Fields(request.query_params).string("artifact_file_path")
    if not path:
        raise BadRequest('Request must include the "artifact_file_path" query parameter.')
    relative = clean_relative_path(path, allow_empty=False)
    model = await run_in_threadpool(logged_models.get_logged_model, db_of(request), request.path_params["model_id"])
    return await file_response(request, artifacts_of(request), f"{store_path_of(model.artifact_location)}/{relative}",
                               db_of(request))


ROUTES = [
    ("/mlflow/logged-models/{model_id}/artifacts/files", ["GET"], get_logged_model_artifact),
]
