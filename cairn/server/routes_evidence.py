"""Version evidence under /api/cairn/v1/model-versions/: serving requirements and benchmarks.

``requirements`` (POST) states what a version needs to serve; ``benchmarks`` (POST) records a
benchmark measured where the model was loaded (``cairn models benchmark``); ``evidence`` (GET)
answers both. ``models/stability`` (GET) reads a model's stability windows and
``gate-breach`` (POST) reports a breach on its Production version. Thin adapters onto
``cairn.registry.evidence`` and ``cairn.registry.standby``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.errors import InvalidParameter
from cairn.registry import audit, evidence, standby

from .decoders import request_fields
from .registry_wire import actor_of, version_of
from .routes_cairn_registry import PREFIX
from .state import db_of
from .wire import wire_json

_REQUIREMENT_FIELDS = ("latency_p99", "max_batch", "device", "memory")


async def set_requirements(request: Request) -> Response:
    f = await request_fields(request)
    name, number = f.string("name", default="") or "", version_of(f)
    settings = {key: f.raw(key) for key in _REQUIREMENT_FIELDS if f.has(key)}
    found = await run_in_threadpool(
        lambda: evidence.set_requirements(db_of(request), name, number, actor_of(request), **settings))
    return wire_json({"requirements": found.to_dict()})


async def record_benchmark(request: Request) -> Response:
    f = await request_fields(request)
    name, number, body = f.string("name", default="") or "", version_of(f), f.raw("benchmark")
    if not isinstance(body, dict):
        raise InvalidParameter("benchmark must be an object of measured fields (p50_ms, p99_ms, rows_per_s, ...).")
    found = await run_in_threadpool(evidence.record_benchmark, db_of(request), name, number, body, actor_of(request))
    return wire_json({"benchmark": found.to_dict()})


async def get_evidence(request: Request) -> Response:
    f = await request_fields(request)
    requirements, bench = await run_in_threadpool(evidence.get_evidence, db_of(request),
                                                  f.string("name", default="") or "", version_of(f))
    return wire_json({"requirements": requirements.to_dict(), "benchmark": bench.to_dict() if bench else None})


async def get_stability(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(standby.stability_report, db_of(request), f.string("name", default="") or "")
    return wire_json({"stability": found})


async def record_gate_breach(request: Request) -> Response:
    f = await request_fields(request)
    name, number = f.string("name", default="") or "", version_of(f)
    reason = f.string("reason", default="") or ""
    event = await run_in_threadpool(standby.record_gate_breach, db_of(request), name, number, actor_of(request), reason)
    return wire_json({"event": audit.event_payload(event)})


ROUTES = [
    ("/model-versions/requirements", ["POST"], set_requirements),
    ("/model-versions/benchmarks", ["POST"], record_benchmark),
    ("/model-versions/evidence", ["GET"], get_evidence),
    ("/models/stability", ["GET"], get_stability),
    ("/model-versions/gate-breach", ["POST"], record_gate_breach),
]


def routes() -> list[Route]:
    return [Route(PREFIX + path, handler, methods=methods) for path, methods, handler in ROUTES]
