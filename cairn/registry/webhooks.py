"""Webhook subscriptions for CI/CD: which URLs hear which registry events.

Events are queued (``enqueue``) in the transaction of the change they announce, into an outbox
that doubles as the delivery log; ``webhook_delivery`` sends them, signed and retried. Adding,
changing and removing a webhook is recorded, with who did it, in the append-only log of
administrative changes (the one users, tokens and grants go to; never the signing secret).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from cairn.entities import Actor, Webhook, WebhookDelivery
from cairn.errors import InvalidParameter, NotFound
from cairn.store import auth_events as admin_log
from cairn.store import registry_webhooks as rows
from cairn.store.database import Database
from cairn.store.page_tokens import decode_token, encode_token
from cairn.store.registry_models import Tx
from cairn.tracking import clock

from .actions import ALL_WEBHOOK_EVENTS
from .outbound import Resolver, check_webhook_url, resolve_host
from .validation import validate_text

log = logging.getLogger(__name__)

ACTIVE = rows.ACTIVE
DISABLED = "DISABLED"
STATUSES = (ACTIVE, DISABLED)
EVERY_EVENT = "*"
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512
MAX_NAME_LENGTH = 256
MAX_DELIVERIES_LISTED = 1000
MAX_WEBHOOKS_PER_PAGE = 1000
WEBHOOK_PAGES = "webhooks"
WEBHOOK_CREATED, WEBHOOK_UPDATED, WEBHOOK_DELETED = "webhook.created", "webhook.updated", "webhook.deleted"


def create_webhook(
    db: Database,
    url: str,
    actor: Actor,
    events: Sequence[str] | None = None,
    *,
    name: str | None = None,
    secret: str | None = None,
    description: str | None = None,
    allow_private: bool = False,
    status: str = ACTIVE,
    resolve: Resolver = resolve_host,
) -> tuple[Webhook, str]:
    """Subscribe ``url`` to registry ``events`` (default: all) and return it with its signing
    secret (generated when not given; shown only here). A DISABLED webhook is kept but sent nothing.

    ``InvalidParameter`` for an unknown event or status, a short secret, or a URL that is not
    http(s) or resolves to a private/loopback/link-local address without ``allow_private``.
    """
    wanted = _validate_events(events)
    check_webhook_url(url, allow_private, resolve)
    secret = _validate_secret(secret) if secret is not None else secrets.token_hex(32)
    label = _validate_name(name, url)
    now = clock.now_ms()
    webhook = Webhook(
        webhook_id=uuid.uuid4().hex, name=label, url=url, events=wanted, status=_validate_status(status),
        creation_timestamp=now, last_updated_timestamp=now,
        description=validate_text("description", description) or "", allow_private=bool(allow_private),
    )
    with db.write() as tx:
        rows.insert_webhook(tx, webhook, secret)
        admin_log.insert_event(tx, WEBHOOK_CREATED, actor, now, webhook.webhook_id,
                               {"url": url, "events": wanted, "allow_private": webhook.allow_private})
    log.info("webhook %s to %s added by %s", webhook.webhook_id, url, actor.name)
    return webhook, secret


def update_webhook(
    db: Database,
    webhook_id: str,
    actor: Actor,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    name: str | None = None,
    secret: str | None = None,
    description: str | None = None,
    status: str | None = None,
    allow_private: bool | None = None,
    resolve: Resolver = resolve_host,
) -> Webhook:
    """Change the given fields of a webhook (None leaves a field as it is) and return it.

    ``NotFound`` for an unknown id; ``InvalidParameter`` as for ``create_webhook``. A new URL is
    checked under the webhook's ``allow_private`` (or the one given).
    """
    changes: dict[str, Any] = {}
    if events is not None:
        changes["events"] = _validate_events(events)
    if status is not None:
        changes["status"] = _validate_status(status)
    if description is not None:
        changes["description"] = validate_text("description", description) or None
    new_secret = _validate_secret(secret) if secret is not None else None
    with db.write() as tx:
        current = require_webhook(tx, webhook_id)
        private = current.allow_private if allow_private is None else bool(allow_private)
        if url is not None or private != current.allow_private:
            changes["url"] = check_webhook_url(url if url is not None else current.url, private, resolve)
            changes["allow_private"] = private
        if name is not None:
            changes["name"] = _validate_name(name, changes.get("url", current.url))
        now = clock.now_ms()
        rows.update_webhook(tx, webhook_id, new_secret, **changes, last_updated_time=now)
        admin_log.insert_event(tx, WEBHOOK_UPDATED, actor, now, webhook_id,
                               {**changes, "secret_changed": new_secret is not None})
        updated = require_webhook(tx, webhook_id)
    log.info("webhook %s changed by %s (%s)", webhook_id, actor.name, ", ".join(sorted(changes)) or "no fields")
    return updated


def list_webhooks(db: Database) -> list[Webhook]:
    with db.read() as tx:
        return rows.list_webhooks(tx)


def list_webhooks_page(db: Database, max_results: int = MAX_WEBHOOKS_PER_PAGE,
                       page_token: str | None = None) -> tuple[list[Webhook], str | None]:
    """One page of webhooks, oldest first, and the token of the next page (None at the end)."""
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_WEBHOOKS_PER_PAGE:
        raise InvalidParameter(f"max_results must be 1 to {MAX_WEBHOOKS_PER_PAGE}.")
    offset = decode_token(WEBHOOK_PAGES, page_token)
    found = list_webhooks(db)
    page = found[offset:offset + max_results]
    more = offset + max_results < len(found)
    return page, encode_token(WEBHOOK_PAGES, offset + max_results) if more else None


def get_webhook(db: Database, webhook_id: str) -> Webhook:
    with db.read() as tx:
        return require_webhook(tx, webhook_id)


def delete_webhook(db: Database, webhook_id: str, actor: Actor) -> None:
    """Remove a webhook and its delivery log; ``NotFound`` if there is no such webhook."""
    with db.write() as tx:
        removed = require_webhook(tx, webhook_id)
        rows.delete_webhook(tx, webhook_id)
        admin_log.insert_event(tx, WEBHOOK_DELETED, actor, clock.now_ms(), webhook_id, {"url": removed.url})
    log.info("webhook %s removed by %s", webhook_id, actor.name)


def list_deliveries(db: Database, webhook_id: str | None = None, max_results: int = 100) -> list[WebhookDelivery]:
    """The delivery log (delivered / failed with status, pending), newest first."""
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_DELIVERIES_LISTED:
        raise InvalidParameter(f"max_results must be 1 to {MAX_DELIVERIES_LISTED}.")
    with db.read() as tx:
        if webhook_id is not None:
            require_webhook(tx, webhook_id)
        return rows.list_deliveries(tx, webhook_id, max_results)


def enqueue(tx: Tx, event: str, data: dict[str, Any], now: int) -> list[int]:
    """Queue ``event`` for every active subscriber, in the caller's transaction."""
    subscribers = rows.subscribers(tx, event)
    if not subscribers:
        return []
    return rows.insert_deliveries(tx, subscribers, event, orjson.dumps(data).decode(), now)


def has_pending_deliveries(db: Database) -> bool:
    with db.read() as tx:
        return rows.next_due_time(tx) is not None


def require_webhook(tx: Tx, webhook_id: str) -> Webhook:
    found = rows.get_webhook(tx, webhook_id) if isinstance(webhook_id, str) and len(webhook_id) <= 32 else None
    if found is None:
        raise NotFound(f"No webhook with id '{webhook_id}'. List them with `cairn webhooks list`.")
    return found


def _validate_secret(secret: object) -> str:
    if not isinstance(secret, str) or not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise InvalidParameter(
            f"Webhook secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters; "
            "leave it out to have one generated."
        )
    return secret


def _validate_name(name: object, url: str) -> str:
    label = name.strip() if isinstance(name, str) and name.strip() else url
    if len(label) > MAX_NAME_LENGTH:
        raise InvalidParameter(f"Webhook name must be at most {MAX_NAME_LENGTH} characters.")
    return label


def _validate_status(status: object) -> str:
    if status not in STATUSES:
        raise InvalidParameter(f"Webhook status must be one of {', '.join(STATUSES)}, got {status!r}.")
    return str(status)


def _validate_events(events: Sequence[str] | None) -> list[str]:
    if events is None or list(events) == []:
        return [EVERY_EVENT]
    if isinstance(events, str):
        events = [events]
    unknown = [e for e in events if e != EVERY_EVENT and e not in ALL_WEBHOOK_EVENTS]
    if unknown:
        raise InvalidParameter(
            f"Unknown webhook event(s) {', '.join(map(repr, unknown))}; use '*' or any of: "
            f"{', '.join(sorted(ALL_WEBHOOK_EVENTS))}."
        )
    return sorted(set(events))
