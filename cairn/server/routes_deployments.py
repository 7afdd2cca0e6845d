"""Cairn's deployment and prediction-log endpoints under /api/cairn/v1/.

``deployments/set|get|resolve|compare`` and ``predictions/log-batch|get|search|outcome|flag-counts|
explain``: thin adapters onto ``cairn.registry.deployments``, ``predictions``, ``deployment_compare``
and ``explain``, the functions the embedded SDK calls, so the rules and answers are the same through a server.
Serving processes pointed at a server (``CAIRN_TRACKING_URI=http://...``) poll ``resolve`` and
send their prediction log through ``log-batch``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.registry import deployment_compare, deployments, explain, predictions

from .decoders import request_fields
from .registry_wire import actor_of
from .routes_cairn_registry import PREFIX
from .state import db_of
from .wire import empty_response, wire_json

_VERSION_FIELDS = ("canary_version", "shadow_version", "ab_version")


async def set_deployment(request: Request) -> Response:
    f = await request_fields(request)
    name = f.string("name", default="") or ""
    settings = {field: f.raw(field) for field in _VERSION_FIELDS if f.has(field)}
    settings.update(
        canary_percent=f.double("canary_percent"), ab_split=f.double("ab_split"), ab_key=f.string("ab_key"),
        primary_alias=f.string("primary_alias"), remove=f.strings("remove"), clear=f.boolean("clear"),
        reason=f.string("reason"),
    )
    config = await run_in_threadpool(
        lambda: deployments.set_deployment(db_of(request), name, actor_of(request), **settings))
    return wire_json({"deployment": config.to_dict()})


async def get_deployment(request: Request) -> Response:
    f = await request_fields(request)
    config = await run_in_threadpool(deployments.get_deployment, db_of(request), f.string("name", default="") or "")
    return wire_json({"deployment": config.to_dict()})


async def resolve_deployment(request: Request) -> Response:
    f = await request_fields(request)
    plan = await run_in_threadpool(deployments.resolve_plan, db_of(request), f.string("name", default="") or "",
                                   f.string("ref") or None)
    return wire_json({"plan": plan.to_dict()})


async def compare_deployment(request: Request) -> Response:
    f = await request_fields(request)
    comparison = await run_in_threadpool(deployment_compare.compare_deployment, db_of(request),
                                         f.string("name", default="") or "", f.int64("since"), f.int64("until"))
    return wire_json({"comparison": comparison.to_dict()})


async def log_predictions(request: Request) -> Response:
    f = await request_fields(request)
    records = f.raw("predictions")
    logged = await run_in_threadpool(predictions.log_predictions, db_of(request),
                                     records if records is not None else [])
    return wire_json({"logged": logged})


async def get_prediction(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(predictions.get_prediction, db_of(request),
                                    f.string("prediction_id", default="") or "")
    return wire_json({"prediction": found.to_dict()})


async def search_predictions(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(
        lambda: predictions.search_predictions(
            db_of(request), f.string("name", default="") or "", f.int64("since"), f.int64("until"),
            f.int64("version"), f.string("arm"), f.string("filter"), f.int64("max_results", default=100) or 100))
    return wire_json({"predictions": [p.to_dict() for p in found]})


async def log_outcome(request: Request) -> Response:
    f = await request_fields(request)
    prediction_id, value = f.string("prediction_id", default="") or "", f.raw("value")
    await run_in_threadpool(predictions.log_outcome, db_of(request), prediction_id, value, actor_of(request))
    return empty_response()


async def flag_counts(request: Request) -> Response:
    f = await request_fields(request)
    counts = await run_in_threadpool(predictions.flag_counts, db_of(request), f.string("name", default="") or "",
                                     f.int64("since"), f.int64("until"))
    return wire_json({"flag_counts": counts})


async def explain_prediction(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(explain.explain_prediction, db_of(request),
                                    f.string("prediction_id", default="") or "")
    return wire_json({"explanation": found})


ROUTES = [
    ("/deployments/set", ["POST"], set_deployment),
    ("/deployments/get", ["GET"], get_deployment),
    ("/deployments/resolve", ["GET"], resolve_deployment),
    ("/deployments/compare", ["GET"], compare_deployment),
    ("/predictions/log-batch", ["POST"], log_predictions),
    ("/predictions/get", ["GET"], get_prediction),
    ("/predictions/search", ["GET"], search_predictions),
    ("/predictions/outcome", ["POST"], log_outcome),
    ("/predictions/flag-counts", ["GET"], flag_counts),
    ("/predictions/explain", ["GET"], explain_prediction),
]


def routes() -> list[Route]:
    """One Route per path under /api/cairn/v1 (each path takes one method; another gets 405)."""
    return [Route(PREFIX + path, handler, methods=methods) for path, methods, handler in ROUTES]
