"""MLflow's root-level download routes, which its web UI (and its upload test) read files through:
``GET /get-artifact?run_uuid=<run>&path=<path>`` (``run_id`` too) for a run's file and
``GET /model-versions/get-artifact?name=<model>&version=<n>&path=<path>`` for a version's.

The path goes through ``clean_relative_path`` (a refused path is MLflow's ``Invalid path``); the
file is served as every artifact download is (``routes_artifacts.file_response``: an attachment
with ``nosniff``). A version whose files are outside Cairn's store is refused, never fetched.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn import registry
from cairn.artifacts.paths import clean_relative_path
from cairn.registry.sources import refuse_external
from cairn.tracking import runs
from cairn.tracking.locations import store_path_of

from .fields import Fields
from .routes_artifacts import file_response
from .state import artifacts_of, db_of


def _path_of(f: Fields) -> str:
    return clean_relative_path(f.required_string("path"), allow_empty=False)


async def get_run_artifact(request: Request) -> Response:
    f = Fields(request.query_params)
    path = _path_of(f)
    run_id = f.string("run_id") or f.required_string("run_uuid")
    run = await run_in_threadpool(runs.get_run, db_of(request), run_id)
    return await file_response(request, artifacts_of(request), f"{store_path_of(run.info.artifact_uri)}/{path}", db_of(request))


async def get_model_version_artifact(request: Request) -> Response:
    f = Fields(request.query_params)
    path = _path_of(f)
    version = await run_in_threadpool(
        registry.get_model_version, db_of(request), f.required_string("name"), f.required_string("version"))
    root = store_path_of(refuse_external(version, "download the files of"))
    return await file_response(request, artifacts_of(request), f"{root}/{path}", db_of(request))


def routes() -> list[Route]:
    return [
        Route("/get-artifact", get_run_artifact, methods=["GET"]),
        Route("/model-versions/get-artifact", get_model_version_artifact, methods=["GET"]),
    ]
