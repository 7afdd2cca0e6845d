"""Webhook subscriptions and the delivery outbox/log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import orjson
from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from cairn.entities import Webhook, WebhookDelivery

from .schema import webhook_deliveries, webhooks

Tx = Connection

PENDING = "PENDING"
SENDING = "SENDING"
ACTIVE = "ACTIVE"


class ClaimedDelivery(NamedTuple):
    """A delivery taken by one worker, with what it needs to send it. ``claimed_until`` is the
    lease: the worker may record the attempt only while the row still carries it."""

    delivery_id: int
    webhook_id: str
    event: str
    payload: str
    attempts: int
    created_time: int
    url: str
    secret: str
    allow_private: bool
    claimed_until: int


def insert_webhook(conn: Tx, webhook: Webhook, secret: str) -> None:
    conn.execute(
        insert(webhooks).values(
            webhook_id=webhook.webhook_id, name=webhook.name, url=webhook.url,
            events=orjson.dumps(webhook.events).decode(), secret=secret, description=webhook.description or None,
            status=webhook.status, allow_private=webhook.allow_private,
            creation_time=webhook.creation_timestamp, last_updated_time=webhook.last_updated_timestamp,
        )
    )


def list_webhooks(conn: Tx) -> list[Webhook]:
    w = webhooks.c
    return [_webhook(row) for row in conn.execute(select(webhooks).order_by(w.creation_time, w.webhook_id))]


def get_webhook(conn: Tx, webhook_id: str) -> Webhook | None:
    row = conn.execute(select(webhooks).where(webhooks.c.webhook_id == webhook_id)).first()
    return _webhook(row) if row is not None else None


def update_webhook(conn: Tx, webhook_id: str, secret: str | None = None, **values: object) -> None:
    """Change the given columns of one webhook (``events`` as a list); a new ``secret`` if given."""
    if "events" in values:
        values["events"] = orjson.dumps(values["events"]).decode()
    if secret is not None:
        values["secret"] = secret
    conn.execute(update(webhooks).where(webhooks.c.webhook_id == webhook_id).values(**values))


def delete_webhook(conn: Tx, webhook_id: str) -> int:
    conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
    return conn.execute(delete(webhooks).where(webhooks.c.webhook_id == webhook_id)).rowcount


def subscribers(conn: Tx, event: str) -> list[str]:
    """Ids of the active webhooks subscribed to ``event`` (or to every event, ``*``)."""
    w = webhooks.c
    rows = conn.execute(select(w.webhook_id, w.events).where(w.status == ACTIVE).order_by(w.webhook_id))
    return [webhook_id for webhook_id, events in rows if {event, "*"} & set(orjson.loads(events))]


def insert_deliveries(conn: Tx, webhook_ids: Sequence[str], event: str, payload: str, now: int) -> list[int]:
    ids = []
    for webhook_id in webhook_ids:
        result = conn.execute(
            insert(webhook_deliveries).values(
                webhook_id=webhook_id, event=event, payload=payload, status=PENDING, attempts=0,
                created_time=now, next_attempt_time=now,
            )
        )
        ids.append(int(result.inserted_primary_key[0]))
    return ids


def claim_due(conn: Tx, now: int, lease_ms: int, limit: int,
              delivery_ids: Sequence[int] | None = None) -> list[ClaimedDelivery]:
    """Take up to ``limit`` deliveries that are due (or whose previous claim expired: its worker
    died or stalled) for ``lease_ms``. The rows are locked ``FOR UPDATE SKIP LOCKED`` (PostgreSQL),
    so workers claiming at the same moment take different deliveries instead of queueing on one;
    SQLite's single writer serializes them. ``delivery_ids`` narrows the choice."""
    d, w = webhook_deliveries.c, webhooks.c
    due = or_(
        and_(d.status == PENDING, d.next_attempt_time <= now),
        and_(d.status == SENDING, d.claimed_until <= now),
    )
    stmt = (
        select(d.delivery_id, d.webhook_id, d.event, d.payload, d.attempts, d.created_time, w.url, w.secret,
               w.allow_private)
        .join(webhooks, w.webhook_id == d.webhook_id)
        .where(due)
        .order_by(d.next_attempt_time, d.delivery_id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=webhook_deliveries)
    )
    if delivery_ids is not None:
        stmt = stmt.where(d.delivery_id.in_(list(delivery_ids)))
    lease = now + lease_ms
    claimed = [ClaimedDelivery(*row, claimed_until=lease) for row in conn.execute(stmt)]
    if claimed:
        conn.execute(
            update(webhook_deliveries)
            .where(d.delivery_id.in_([c.delivery_id for c in claimed]))
            .values(status=SENDING, claimed_until=lease)
        )
    return claimed


def record_attempt(
    conn: Tx, claim: ClaimedDelivery, *, status: str, attempts: int, now: int, status_code: int | None,
    error: str | None, next_attempt_time: int | None,
) -> bool:
    """Log how an attempt ended, if ``claim`` still holds the delivery; False when its lease ran
    out and another worker took the delivery over (that worker's outcome is the one kept)."""
    d = webhook_deliveries.c
    result = conn.execute(
        update(webhook_deliveries)
        .where(d.delivery_id == claim.delivery_id, d.status == SENDING, d.claimed_until == claim.claimed_until)
        .values(status=status, attempts=attempts, last_attempt_time=now, status_code=status_code, error=error,
                next_attempt_time=next_attempt_time, claimed_until=None)
    )
    return bool(result.rowcount)


def get_delivery(conn: Tx, delivery_id: int) -> WebhookDelivery | None:
    row = conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.delivery_id == delivery_id)).first()
    return _delivery(row) if row is not None else None


def list_deliveries(conn: Tx, webhook_id: str | None, limit: int) -> list[WebhookDelivery]:
    """The delivery log, newest first, of one webhook or of all."""
    d = webhook_deliveries.c
    stmt = select(webhook_deliveries).order_by(d.delivery_id.desc()).limit(limit)
    if webhook_id is not None:
        stmt = stmt.where(d.webhook_id == webhook_id)
    return [_delivery(row) for row in conn.execute(stmt)]


def next_due_time(conn: Tx) -> int | None:
    """When the earliest unfinished delivery becomes due (a past time means now)."""
    d = webhook_deliveries.c
    pending = conn.execute(select(func.min(d.next_attempt_time)).where(d.status == PENDING)).scalar_one_or_none()
    sending = conn.execute(select(func.min(d.claimed_until)).where(d.status == SENDING)).scalar_one_or_none()
    times = [t for t in (pending, sending) if t is not None]
    return min(times) if times else None


def _webhook(row) -> Webhook:  # type: ignore[no-untyped-def]
    return Webhook(
        webhook_id=row.webhook_id, name=row.name, url=row.url, events=list(orjson.loads(row.events)),
        status=row.status, creation_timestamp=row.creation_time, last_updated_timestamp=row.last_updated_time,
        description=row.description or "", allow_private=bool(row.allow_private),
    )


def _delivery(row) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    return WebhookDelivery(
        delivery_id=row.delivery_id, webhook_id=row.webhook_id, event=row.event, status=row.status,
        attempts=row.attempts, created_time=row.created_time, status_code=row.status_code, error=row.error,
        last_attempt_time=row.last_attempt_time, next_attempt_time=row.next_attempt_time,
    )
