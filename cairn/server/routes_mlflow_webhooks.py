"""MLflow 3's webhook API (``/mlflow/webhooks``, ``webhooks.proto``) over Cairn's webhooks.

MLflow names an event by entity and action (``{"entity": "MODEL_VERSION", "action": "CREATED"}``);
Cairn by one string (``model_version.created``). The six registry events both have map one to one
(``EVENTS``). MLflow's prompt and budget-policy events are refused: Cairn has no prompt registry
or budget policies, so such a webhook would never fire. Cairn's own events that MLflow has no
words for (``model_version.stage_changed``, ``model_version.rolled_back``, ``transition_request.*``)
are left out when a webhook is shown here, and a Cairn webhook subscribed to every event (``*``)
shows as the six; ``/api/cairn/v1/webhooks`` shows them all.

MLflow's webhooks have no per-webhook switch for private targets: one added here may reach a
private, loopback or link-local address only when the server runs with
``--allow-private-webhook-targets``. Cairn requires a signing secret of 16+ characters and
generates one when none is given (MLflow would send unsigned events); it is never shown here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn import registry
from cairn.entities import Webhook, WebhookDelivery
from cairn.errors import InvalidParameter
from cairn.registry.actions import TEST_EVENT
from cairn.registry.outbound import is_private_target
from cairn.registry.webhook_delivery import DELIVERED
from cairn.registry.webhooks import ACTIVE, EVERY_EVENT, STATUSES

from .decoders import request_fields
from .fields import Fields, missing
from .registry_wire import actor_of
from .state import db_of, state_of
from .wire import empty_response, wire_json

BASE = "/mlflow/webhooks"
# Proto enum order: a name or its number (from 1) is accepted, as in proto3 JSON.
ENTITIES = ("REGISTERED_MODEL", "MODEL_VERSION", "MODEL_VERSION_TAG", "MODEL_VERSION_ALIAS", "PROMPT",
            "PROMPT_VERSION", "PROMPT_TAG", "PROMPT_VERSION_TAG", "PROMPT_ALIAS", "BUDGET_POLICY")
ACTIONS = ("CREATED", "UPDATED", "DELETED", "SET", "EXCEEDED")
EVENTS = {
    ("REGISTERED_MODEL", "CREATED"): "registered_model.created",
    ("MODEL_VERSION", "CREATED"): "model_version.created",
    ("MODEL_VERSION_TAG", "SET"): "model_version_tag.set",
    ("MODEL_VERSION_TAG", "DELETED"): "model_version_tag.deleted",
    ("MODEL_VERSION_ALIAS", "CREATED"): "model_version_alias.created",
    ("MODEL_VERSION_ALIAS", "DELETED"): "model_version_alias.deleted",
}
_MLFLOW_EVENT_OF = {cairn_name: pair for pair, cairn_name in EVENTS.items()}
DEFAULT_PAGE = 100


def _events(f: Fields, *, required: bool) -> list[str] | None:
    items = f.messages("events")
    if not items:
        if required:
            raise missing("events")
        return None
    return [_event(item) for item in items]


def _event(item: Fields) -> str:
    entity = item.enum("entity", ENTITIES)
    action = item.enum("action", ACTIONS)
    if entity is None or action is None:
        raise missing(f"{item.path}.{'entity' if entity is None else 'action'}")
    found = EVENTS.get((entity, action))
    if found is None:
        kind = "prompt" if entity.startswith("PROMPT") else "budget policy" if entity == "BUDGET_POLICY" else None
        why = f"Cairn has no {kind} registry events" if kind else "MLflow defines no such event"
        supported = ", ".join(f"{e}/{a}" for e, a in EVENTS)
        raise InvalidParameter(f"Webhook event {entity}/{action} is not supported ({why}); use one of: {supported}.")
    return found


def _private(request: Request, url: str | None) -> bool | None:
    """Whether a webhook to ``url`` needs (and may have) ``allow_private``; None: URL unchanged."""
    if url is None:
        return None
    return state_of(request).config.allow_private_webhook_targets and is_private_target(url)


def webhook_to_mlflow(w: Webhook) -> dict[str, Any]:
    names: Sequence[str] = list(EVENTS.values()) if EVERY_EVENT in w.events else w.events
    pairs = [_MLFLOW_EVENT_OF[n] for n in names if n in _MLFLOW_EVENT_OF]
    wire: dict[str, Any] = {
        "webhook_id": w.webhook_id, "name": w.name, "url": w.url,
        "events": [{"entity": entity, "action": action} for entity, action in pairs],
        "status": w.status, "creation_timestamp": w.creation_timestamp,
        "last_updated_timestamp": w.last_updated_timestamp,
    }  # fmt: skip
    if w.description:
        wire["description"] = w.description
    return wire


async def create_webhook(request: Request) -> Response:
    f = await request_fields(request)
    name, url = f.required_string("name"), f.required_string("url")
    events = _events(f, required=True)
    status = f.enum("status", STATUSES, default=ACTIVE)
    assert status is not None

    def create() -> Webhook:
        webhook, _ = registry.create_webhook(
            db_of(request), url, actor_of(request), events, name=name, secret=f.string("secret") or None,
            description=f.string("description"), status=status, allow_private=bool(_private(request, url)),
        )
        return webhook

    return wire_json({"webhook": webhook_to_mlflow(await run_in_threadpool(create))})


async def list_webhooks(request: Request) -> Response:
    f = await request_fields(request)
    max_results = f.int64("max_results", default=DEFAULT_PAGE) or DEFAULT_PAGE
    page, token = await run_in_threadpool(registry.list_webhooks_page, db_of(request), max_results,
                                          f.string("page_token") or None)
    payload: dict[str, Any] = {"webhooks": [webhook_to_mlflow(w) for w in page]}
    if token:
        payload["next_page_token"] = token
    return wire_json(payload)


async def get_webhook(request: Request) -> Response:
    found = await run_in_threadpool(registry.get_webhook, db_of(request), request.path_params["webhook_id"])
    return wire_json({"webhook": webhook_to_mlflow(found)})


async def update_webhook(request: Request) -> Response:
    f = await request_fields(request)
    url = f.string("url") or None
    events = _events(f, required=False)
    status = f.enum("status", STATUSES)
    webhook = await run_in_threadpool(
        lambda: registry.update_webhook(
            db_of(request), request.path_params["webhook_id"], actor_of(request), url=url, events=events,
            name=f.string("name") or None, secret=f.string("secret"), description=f.string("description"),
            status=status, allow_private=_private(request, url),
        )
    )
    return wire_json({"webhook": webhook_to_mlflow(webhook)})


async def delete_webhook(request: Request) -> Response:
    await run_in_threadpool(registry.delete_webhook, db_of(request), request.path_params["webhook_id"],
                            actor_of(request))
    return empty_response()


async def test_webhook(request: Request) -> Response:
    f = await request_fields(request)
    given = f.message("event")
    webhook_id = request.path_params["webhook_id"]

    def send() -> WebhookDelivery:
        # Like MLflow: the event named, else the webhook's first one.
        if given is not None:
            event = _event(given)
        else:
            shown = webhook_to_mlflow(registry.get_webhook(db_of(request), webhook_id))["events"]
            event = EVENTS[(shown[0]["entity"], shown[0]["action"])] if shown else TEST_EVENT
        return registry.send_test(db_of(request), webhook_id, actor_of(request), event=event)

    delivery = await run_in_threadpool(send)
    result: dict[str, Any] = {"success": delivery.status == DELIVERED}
    if delivery.status_code is not None:
        result["response_status"] = delivery.status_code
    if delivery.error:
        result["error_message"] = delivery.error
    return wire_json({"result": result})


ROUTES = [
    (BASE, ["POST"], create_webhook),
    (BASE, ["GET"], list_webhooks),
    (BASE + "/{webhook_id}", ["GET"], get_webhook),
    (BASE + "/{webhook_id}", ["PATCH"], update_webhook),
    (BASE + "/{webhook_id}", ["DELETE"], delete_webhook),
    (BASE + "/{webhook_id}/test", ["POST"], test_webhook),
]
