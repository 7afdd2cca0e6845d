"""Retention endpoints under /api/cairn/v1/: experiments' retention policies, garbage collection
(``cairn gc --tracking-uri http://...``) and the retention trail.

``experiments/retention`` GET/POST/DELETE reads, sets and clears one experiment's policy;
``gc`` applies every retention rule (an admin action: it deletes data across experiments);
``retention/events`` lists the trail. Each route calls the function the embedded SDK calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn import registry
from cairn.entities import GcReport, RetentionEvent, RetentionPolicy
from cairn.tracking import retention_policies, retention_trail

from .decoders import request_fields
from .registry_wire import actor_of
from .routes_cairn_registry import PREFIX
from .state import artifacts_of, db_of
from .wire import empty_response, wire_json


async def get_policy(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    policy = await run_in_threadpool(retention_policies.get_retention_policy, db_of(request), experiment_id)
    return wire_json({"policy": policy_to_wire(policy)} if policy is not None else {})


async def set_policy(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    keep_last, keep_days = f.int32("keep_last"), f.int32("keep_days")
    policy = await run_in_threadpool(retention_policies.set_retention_policy, db_of(request), experiment_id,
                                     keep_last, keep_days, actor_of(request))
    return wire_json({"policy": policy_to_wire(policy)})


async def clear_policy(request: Request) -> Response:
    f = await request_fields(request)
    experiment_id = f.required_string("experiment_id")
    await run_in_threadpool(retention_policies.clear_retention_policy, db_of(request), experiment_id,
                            actor_of(request))
    return empty_response()


async def collect_garbage(request: Request) -> Response:
    f = await request_fields(request)
    dry_run, grace_days = f.boolean("dry_run"), f.int32("grace_days")
    report = await run_in_threadpool(
        lambda: registry.collect_garbage(db_of(request), artifacts_of(request), actor_of(request), dry_run=dry_run,
                                         grace_days=grace_days))
    return wire_json(report_to_wire(report))


async def list_events(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(
        retention_trail.list_retention_events, db_of(request), f.string("experiment_id"), f.string("run_id"),
        f.int32("max_results", default=1000))
    return wire_json({"events": [event_to_wire(e) for e in found]})


def policy_to_wire(policy: RetentionPolicy) -> dict[str, Any]:
    return {k: v for k, v in asdict(policy).items() if v is not None}


def report_to_wire(report: GcReport) -> dict[str, Any]:
    return asdict(report)


def event_to_wire(event: RetentionEvent) -> dict[str, Any]:
    return asdict(event)


Handler = Callable[[Request], Awaitable[Response]]
ROUTES: list[tuple[str, dict[str, Handler]]] = [
    ("/experiments/retention", {"GET": get_policy, "POST": set_policy, "DELETE": clear_policy}),
    ("/gc", {"POST": collect_garbage}),
    ("/retention/events", {"GET": list_events}),
]


def routes() -> list[Route]:
    """One Route per path, so a wrong method gets 405 listing the allowed ones."""
    return [Route(PREFIX + path, _dispatch(handlers), methods=list(handlers)) for path, handlers in ROUTES]


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint
