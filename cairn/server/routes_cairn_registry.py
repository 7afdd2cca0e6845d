"""Cairn's own registry endpoints under /api/cairn/v1/: what MLflow's API has no words for.

Promotion with a reason and its full outcome (gates, pending sign-off), transition requests and
their approval or rejection, policies, the audit trail, the production timeline (``at`` answers
"what was in production then"), rollback, aliases read and deleted with the registry's answers,
one-call model show, retention (deleting the files of archived versions whose retention ended)
and webhooks. Bodies and query strings follow the
MLflow routes' rules (typed fields, int64 checks, compact JSON); models are named in fields, not
in the path, so every name reaches the domain's checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn import registry
from cairn.entities import Policy
from cairn.registry.approvals import PENDING
from cairn.registry.policies import policy_from_dict

from .auth_context import REGISTERED_MODEL, readable_keys
from .decoders import request_fields
from .fields import Fields
from .registry_wire import (
    actor_of,
    announce,
    collected_to_wire,
    delivery_to_wire,
    event_to_wire,
    interval_to_wire,
    model_files_of,
    model_version_to_wire,
    outcome_to_wire,
    policy_to_wire,
    request_to_wire,
    require_private_targets_allowed,
    version_files_to_wire,
    version_of,
    webhook_to_wire,
)
from .state import artifacts_of, db_of
from .wire import empty_response, read_json, wire_json

Handler = Callable[[Request], Awaitable[Response]]

PREFIX = "/api/cairn/v1"
ANY_STATUS = "ANY"
SHOW_EVENTS = 10


def _name(f: Fields) -> str:
    return f.string("name", default="") or ""


def _policy(f: Fields) -> Policy | None:
    raw = f.raw("policy")
    return policy_from_dict(raw) if raw is not None else None


# promotion and sign-off --------------------------------------------------------------------

async def promote(request: Request) -> Response:
    f = await request_fields(request)
    name, number, stage = _name(f), version_of(f), f.string("stage", default="") or ""
    reason, archive = f.string("reason"), f.boolean("archive_existing_versions")
    outcome = await run_in_threadpool(
        lambda: registry.promote(db_of(request), name, number, stage, actor_of(request), reason=reason,
                                 archive_existing_versions=archive, model_files=model_files_of(request))
    )
    announce(request)
    return wire_json({"outcome": outcome_to_wire(outcome)})


async def register_model(request: Request) -> Response:
    f = await request_fields(request)
    source, name = f.string("source", default="") or "", _name(f)
    run_id, description, tags = f.string("run_id") or None, f.string("description"), f.key_values("tags")
    version = await run_in_threadpool(registry.register_model, db_of(request), source, name, actor_of(request),
                                      run_id, description, tags)
    announce(request)
    return wire_json({"model_version": model_version_to_wire(version), "files": version_files_to_wire(version)})


async def list_requests(request: Request) -> Response:
    f = await request_fields(request)
    name = f.string("name") or None
    status = f.string("status", default=PENDING)
    visible = await run_in_threadpool(readable_keys, request, REGISTERED_MODEL)
    found = await run_in_threadpool(registry.list_transition_requests, db_of(request), name,
                                    None if status == ANY_STATUS else status, visible)
    return wire_json({"requests": [request_to_wire(r) for r in found]})


async def approve(request: Request) -> Response:
    f = await request_fields(request)
    name, number, comment = _name(f), version_of(f), f.string("comment")
    outcome = await run_in_threadpool(
        lambda: registry.approve_transition_request(db_of(request), name, number, actor_of(request), comment,
                                                    model_files=model_files_of(request))
    )
    announce(request)
    return wire_json({"outcome": outcome_to_wire(outcome)})


async def reject(request: Request) -> Response:
    f = await request_fields(request)
    name, number, comment = _name(f), version_of(f), f.string("comment")
    found = await run_in_threadpool(registry.reject_transition_request, db_of(request), name, number,
                                    actor_of(request), comment)
    announce(request)
    return wire_json({"request": request_to_wire(found)})


async def rollback(request: Request) -> Response:
    f = await request_fields(request)
    name, reason = _name(f), f.string("reason", default="") or ""
    number = version_of(f) if f.has("version") else None
    outcome = await run_in_threadpool(registry.rollback, db_of(request), name, actor_of(request), reason, number)
    announce(request)
    return wire_json({"outcome": outcome_to_wire(outcome)})


# aliases -----------------------------------------------------------------------------------
# MLflow's alias routes keep MLflow's answers (400 for an alias that is not set; deleting one is
# a no-op). These answer as the registry does, with NotFound, so the SDK gets the same error code
# from a server as from an embedded store.

async def get_alias(request: Request) -> Response:
    f = await request_fields(request)
    name, alias = _name(f), f.string("alias", default="") or ""
    version = await run_in_threadpool(registry.get_version_by_alias, db_of(request), name, alias)
    return wire_json({"model_version": model_version_to_wire(version)})


async def delete_alias(request: Request) -> Response:
    f = await request_fields(request)
    name, alias, reason = _name(f), f.string("alias", default="") or "", f.string("reason")
    await run_in_threadpool(registry.delete_alias, db_of(request), name, alias, actor_of(request), reason)
    announce(request)
    return empty_response()


# policies ----------------------------------------------------------------------------------

async def get_policy(request: Request) -> Response:
    f = await request_fields(request)
    name = _name(f)
    policy = await run_in_threadpool(registry.get_policy, db_of(request), name)
    scope = await run_in_threadpool(registry.get_policy_scope, db_of(request), name)
    return wire_json({"policy": policy_to_wire(policy), "scope": scope})


async def set_policy(request: Request) -> Response:
    f = Fields(await read_json(request))
    name, policy, reason = _name(f), _policy(f), f.string("reason")
    stored = await run_in_threadpool(registry.set_policy, db_of(request), name, policy, actor_of(request), reason)
    announce(request)
    return wire_json({"policy": policy_to_wire(stored)})


async def get_default_policy(request: Request) -> Response:
    policy = await run_in_threadpool(registry.get_default_policy, db_of(request))
    return wire_json({"policy": policy_to_wire(policy)} if policy is not None else {})


async def set_default_policy(request: Request) -> Response:
    f = Fields(await read_json(request))
    policy = _policy(f)
    await run_in_threadpool(registry.set_default_policy, db_of(request), policy, actor_of(request))
    return empty_response()


# history -----------------------------------------------------------------------------------

async def audit(request: Request) -> Response:
    f = await request_fields(request)
    name = _name(f)
    number = version_of(f) if f.has("version") else None
    max_results = f.int64("max_results")
    newest_first = f.boolean("newest_first")
    events = await run_in_threadpool(registry.list_audit_events, db_of(request), name, number, max_results,
                                     newest_first)
    return wire_json({"events": [event_to_wire(e) for e in events]})


async def timeline(request: Request) -> Response:
    """Every interval; with ``at`` (ms since the epoch), what was in Production and where each
    alias pointed at that moment."""
    f = await request_fields(request)
    name, at = _name(f), f.int64("at")
    db = db_of(request)
    if at is not None:
        production = await run_in_threadpool(registry.production_version_at, db, name, at)
        aliases = await run_in_threadpool(registry.aliases_at, db, name, at)
        payload: dict[str, object] = {"at": at, "aliases": [interval_to_wire(i) for i in aliases]}
        if production is not None:
            payload["production"] = interval_to_wire(production)
        return wire_json(payload)
    include_aliases = f.boolean("include_aliases", default=True)
    intervals = await run_in_threadpool(registry.get_timeline, db, name, include_aliases)
    return wire_json({"intervals": [interval_to_wire(i) for i in intervals]})


async def show(request: Request) -> Response:
    """The version ``ref`` names (NAME@alias, NAME/3, NAME/Production, NAME/latest, NAME), its
    Production intervals and its latest audit events."""
    f = await request_fields(request)
    ref = f.string("ref", default="") or ""
    db = db_of(request)
    version = await run_in_threadpool(registry.resolve_model_ref, db, ref)
    intervals = await run_in_threadpool(registry.get_timeline, db, version.name, False)
    events = await run_in_threadpool(registry.list_audit_events, db, version.name, version.version, SHOW_EVENTS,
                                     True)
    return wire_json({
        "model_version": model_version_to_wire(version),
        "files": version_files_to_wire(version),
        "production": [interval_to_wire(i) for i in intervals if i.version == version.version],
        "events": [event_to_wire(e) for e in events],
    })  # fmt: skip


async def collect_expired_artifacts(request: Request) -> Response:
    """Delete the files of Archived versions whose retention has ended (``dry_run``: report only)."""
    f = await request_fields(request)
    dry_run = f.boolean("dry_run")
    found = await run_in_threadpool(
        lambda: registry.collect_expired_artifacts(db_of(request), artifacts_of(request), actor_of(request),
                                                   dry_run=dry_run)
    )
    return wire_json({"versions": [collected_to_wire(c) for c in found]})


# webhooks ----------------------------------------------------------------------------------

async def create_webhook(request: Request) -> Response:
    f = await request_fields(request)
    url = f.string("url", default="") or ""
    events = f.strings("events") or None
    allow_private = f.boolean("allow_private")
    require_private_targets_allowed(request, allow_private)
    webhook, secret = await run_in_threadpool(
        lambda: registry.create_webhook(db_of(request), url, actor_of(request), events, name=f.string("name"),
                                        secret=f.string("secret"), description=f.string("description"),
                                        allow_private=allow_private)
    )
    return wire_json({"webhook": webhook_to_wire(webhook), "secret": secret})


async def list_webhooks(request: Request) -> Response:
    found = await run_in_threadpool(registry.list_webhooks, db_of(request))
    return wire_json({"webhooks": [webhook_to_wire(w) for w in found]})


async def delete_webhook(request: Request) -> Response:
    await run_in_threadpool(registry.delete_webhook, db_of(request), request.path_params["webhook_id"],
                            actor_of(request))
    return empty_response()


async def test_webhook(request: Request) -> Response:
    delivery = await run_in_threadpool(registry.send_test, db_of(request), request.path_params["webhook_id"],
                                       actor_of(request))
    return wire_json({"delivery": delivery_to_wire(delivery)})


async def list_deliveries(request: Request) -> Response:
    f = await request_fields(request)
    webhook_id = f.string("webhook_id") or None
    max_results = f.int64("max_results", default=100)
    found = await run_in_threadpool(registry.list_deliveries, db_of(request), webhook_id, max_results)
    return wire_json({"deliveries": [delivery_to_wire(d) for d in found]})


async def deliver(request: Request) -> Response:
    sent = await run_in_threadpool(registry.deliver_due, db_of(request))
    return wire_json({"deliveries": [delivery_to_wire(d) for d in sent]})


ROUTES = [
    ("/model-versions/promote", ["POST"], promote),
    ("/model-versions/register", ["POST"], register_model),
    ("/transition-requests", ["GET"], list_requests),
    ("/transition-requests/approve", ["POST"], approve),
    ("/transition-requests/reject", ["POST"], reject),
    ("/models/rollback", ["POST"], rollback),
    ("/models/alias", ["GET"], get_alias),
    ("/models/alias", ["DELETE"], delete_alias),
    ("/models/policy", ["GET"], get_policy),
    ("/models/policy", ["POST"], set_policy),
    ("/policies/default", ["GET"], get_default_policy),
    ("/policies/default", ["POST"], set_default_policy),
    ("/models/audit", ["GET"], audit),
    ("/models/timeline", ["GET"], timeline),
    ("/models/show", ["GET"], show),
    ("/models/collect-expired-artifacts", ["POST"], collect_expired_artifacts),
    ("/webhooks", ["GET"], list_webhooks),
    ("/webhooks", ["POST"], create_webhook),
    ("/webhooks/deliveries", ["GET"], list_deliveries),
    ("/webhooks/deliver", ["POST"], deliver),
    ("/webhooks/{webhook_id}", ["DELETE"], delete_webhook),
    ("/webhooks/{webhook_id}/test", ["POST"], test_webhook),
]


def routes() -> list[Route]:
    """One Route per path under /api/cairn/v1, so a wrong method gets 405 listing the allowed ones."""
    by_path: dict[str, dict[str, Handler]] = {}
    for path, methods, handler in ROUTES:
        for method in methods:
            by_path.setdefault(path, {})[method] = handler
    return [Route(PREFIX + path, _dispatch(handlers), methods=list(handlers)) for path, handlers in by_path.items()]


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint
