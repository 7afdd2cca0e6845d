"""Sending queued webhook events: signed, retried with backoff, every attempt logged.

Each POST carries the JSON event and ``X-Cairn-Signature: sha256=<hex>``, the HMAC-SHA256 of the
exact body under the webhook's secret, so a receiver can check the sender and the content. It also
carries MLflow 3's headers, so a receiver written for MLflow's webhooks verifies it unchanged:
``X-MLflow-Delivery-Id``, ``X-MLflow-Timestamp`` (Unix seconds at sending) and
``X-MLflow-Signature: v1,<base64 HMAC-SHA256 of "<delivery id>.<timestamp>.<body>">``. The body
names the event both ways: ``event`` (``model_version.created``) and MLflow's ``entity`` and
``action``. A
delivery is retried on network errors, timeouts, 408, 429 and 5xx answers, waiting longer after
each failure, and marked FAILED after the last attempt or on any other answer. Redirects are not
followed and proxies from the environment are not used: the target is the one that was checked.

The outbox is durable: a delivery row is written in the transaction of the registry change it
announces, so a change is never committed without its events, nor an event queued for a change
that rolled back. Several workers (server processes, embedded clients) share it: each delivery is
claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) just before its POST, so no live
worker sends one another is sending, and a worker that dies mid-send only delays it until the
lease runs out, when another worker's ``DeliveryWorker`` (every server process runs one) takes it
over. Delivery is at least once: a worker killed after the receiver got the POST but before it
logged the answer leaves the delivery to be sent again, with the same delivery id
(``X-MLflow-Delivery-Id``), which is what a receiver deduplicates on.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from cairn.entities import Actor, WebhookDelivery
from cairn.errors import InvalidParameter
from cairn.store import registry_webhooks as rows
from cairn.store.database import Database
from cairn.store.registry_webhooks import ClaimedDelivery
from cairn.tracking import clock

from .actions import ALL_WEBHOOK_EVENTS, TEST_EVENT
from .outbound import Resolver, check_webhook_url, resolve_host
from .webhooks import has_pending_deliveries, require_webhook

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Cairn-Signature"
EVENT_HEADER = "X-Cairn-Event"
DELIVERY_HEADER = "X-Cairn-Delivery"
MLFLOW_SIGNATURE_HEADER = "X-MLflow-Signature"
MLFLOW_TIMESTAMP_HEADER = "X-MLflow-Timestamp"
MLFLOW_DELIVERY_HEADER = "X-MLflow-Delivery-Id"
PENDING, SENDING, DELIVERED, FAILED = rows.PENDING, rows.SENDING, "DELIVERED", "FAILED"
# Wait after the 1st, 2nd... failed attempt; one more attempt than there are waits.
BACKOFF_MS = (10_000, 60_000, 300_000, 1_800_000, 7_200_000)
MAX_ATTEMPTS = len(BACKOFF_MS) + 1
# A claim's lease: longer than one POST can take (the check of the target's address, then at most
# TIMEOUT_SECONDS), so a live worker always logs its attempt before another may take it over.
LEASE_MS = 60_000
TIMEOUT_SECONDS = 10.0
BATCH = 50
_RETRYABLE_STATUSES = {408, 429}
_IDLE_WAIT_SECONDS = 60.0
_MIN_WAIT_MS = 50


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def sign_mlflow(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """MLflow's signature header value: ``v1,`` and the base64 HMAC-SHA256 of
    ``<delivery_id>.<timestamp>.<body>``."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()).decode()


def delivery_body(delivery: ClaimedDelivery) -> bytes:
    """The exact bytes POSTed (identical on every retry, so the Cairn signature is too)."""
    entity, _, action = delivery.event.rpartition(".")
    return orjson.dumps({
        "delivery_id": delivery.delivery_id,
        "event": delivery.event,
        "entity": entity,
        "action": action,
        "timestamp": delivery.created_time,
        "data": orjson.Fragment(delivery.payload),
    })


@dataclass(frozen=True)
class _Attempt:
    ok: bool
    retryable: bool
    status_code: int | None = None
    error: str | None = None


def deliver_due(
    db: Database,
    *,
    http: httpx.Client | None = None,
    resolve: Resolver = resolve_host,
    only: Sequence[int] | None = None,
    retry: bool = True,
    limit: int = BATCH,
) -> list[WebhookDelivery]:
    """Send up to ``limit`` deliveries due now (``only`` those ids) and return how each attempt
    ended. Each is claimed just before it is sent, so its lease covers one POST, never a queue of them."""
    results: list[WebhookDelivery] = []
    client = http
    try:
        while len(results) < limit:
            with db.write() as tx:
                claimed = rows.claim_due(tx, clock.now_ms(), LEASE_MS, 1, only)
            if not claimed:
                break
            if client is None:
                client = _http_client()
            results.append(_deliver_one(db, client, resolve, claimed[0], retry))
    finally:
        if http is None and client is not None:
            client.close()
    return results


def send_test(db: Database, webhook_id: str, actor: Actor, *, event: str = TEST_EVENT,
              http: httpx.Client | None = None, resolve: Resolver = resolve_host) -> WebhookDelivery:
    """Send a test event (``webhook.test``, or the named registry ``event`` with a test payload)
    to one webhook now, once, and return the logged result."""
    if event != TEST_EVENT and event not in ALL_WEBHOOK_EVENTS:
        raise InvalidParameter(f"Unknown webhook event {event!r}; test with one of: "
                               f"{', '.join(sorted(ALL_WEBHOOK_EVENTS))}.")
    now = clock.now_ms()
    data = {"message": "Test event from Cairn", "sent_by": actor.name, "test": True}
    with db.write() as tx:
        require_webhook(tx, webhook_id)
        ids = rows.insert_deliveries(tx, [webhook_id], event, orjson.dumps(data).decode(), now)
    (result,) = deliver_due(db, http=http, resolve=resolve, only=ids, retry=False)
    return result


def _http_client() -> httpx.Client:
    # httpx (and the rich, click and pygments it imports: ~7 MB a server worker) loads with the
    # first delivery, not at every worker's start.
    import httpx

    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)


def _deliver_one(db: Database, client: httpx.Client, resolve: Resolver, delivery: ClaimedDelivery,
                 retry: bool) -> WebhookDelivery:
    attempt = _post(client, resolve, delivery)
    attempts = delivery.attempts + 1
    now = clock.now_ms()
    next_time: int | None = None
    if attempt.ok:
        status = DELIVERED
    elif retry and attempt.retryable and attempts < MAX_ATTEMPTS:
        status, next_time = PENDING, now + BACKOFF_MS[attempts - 1]
    else:
        status = FAILED
    with db.write() as tx:
        kept = rows.record_attempt(tx, delivery, status=status, attempts=attempts, now=now,
                                   status_code=attempt.status_code, error=attempt.error, next_attempt_time=next_time)
        logged = rows.get_delivery(tx, delivery.delivery_id)
    if logged is None:
        # The webhook was removed while this attempt was in flight, and its delivery log with it
        # (another request, on any worker): the outcome has nowhere to go but the server log.
        log.warning("webhook delivery %s: its webhook %s was removed during the attempt; the outcome (%s) is not "
                    "logged", delivery.delivery_id, delivery.webhook_id, attempt.error or attempt.status_code)
        return WebhookDelivery(delivery.delivery_id, delivery.webhook_id, delivery.event, status, attempts,
                               delivery.created_time, attempt.status_code, attempt.error, now, next_time)
    if not kept:
        log.warning("webhook delivery %s: this attempt outlived its lease and another worker took the delivery "
                    "over; its outcome is the one kept", delivery.delivery_id)
    elif status != DELIVERED:
        log.warning("webhook delivery %s to %s: %s (%s)", delivery.delivery_id, delivery.webhook_id, status,
                    attempt.error or attempt.status_code)
    return logged


def _post(client: httpx.Client, resolve: Resolver, delivery: ClaimedDelivery) -> _Attempt:
    try:
        check_webhook_url(delivery.url, delivery.allow_private, resolve)
    except InvalidParameter as exc:
        return _Attempt(ok=False, retryable="cannot be resolved" in exc.message, error=exc.message)
    body = delivery_body(delivery)
    delivery_id, sent_at = str(delivery.delivery_id), str(clock.now_ms() // 1000)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "cairn-webhooks",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: sign(delivery.secret, body),
        MLFLOW_DELIVERY_HEADER: delivery_id,
        MLFLOW_TIMESTAMP_HEADER: sent_at,
        MLFLOW_SIGNATURE_HEADER: sign_mlflow(delivery.secret, delivery_id, sent_at, body),
    }
    import httpx

    try:
        response = client.post(delivery.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return _Attempt(ok=False, retryable=True, error="timed out")
    except httpx.HTTPError as exc:
        return _Attempt(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return _Attempt(ok=True, retryable=False, status_code=code)
    retryable = code in _RETRYABLE_STATUSES or code >= 500
    return _Attempt(ok=False, retryable=retryable, status_code=code, error=f"HTTP {code}")


class DeliveryWorker:
    """A background thread that sends due deliveries; ``kick()`` after queuing events.

    It sleeps until the next retry is due (or a kick). ``close()`` (also run at interpreter exit)
    lets it make one last pass over what is due, waiting up to ``timeout`` seconds; what is still
    queued after that stays in the outbox for the next worker.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cairn-webhooks", daemon=True)
                self._thread.start()
                atexit.register(self.close)
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopped.set()
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None:
            thread.join(timeout)
            atexit.unregister(self.close)

    def _run(self) -> None:
        with _http_client() as client:
            while True:
                self._wake.clear()
                wait = _IDLE_WAIT_SECONDS
                try:
                    while deliver_due(self._db, http=client):
                        pass
                    with self._db.read() as tx:
                        due = rows.next_due_time(tx)
                    if due is not None:
                        wait = min(wait, max(due - clock.now_ms(), _MIN_WAIT_MS) / 1000)
                except Exception:  # a failing store must not kill the worker; retry later
                    log.exception("webhook delivery worker failed; retrying")
                # Checked after a pass, so events queued just before close() still go out.
                if self._stopped.is_set():
                    return
                self._wake.wait(wait)


WORKER_ATTRIBUTE = "cairn_webhook_worker"


def start_worker(holder: object, db: Database) -> DeliveryWorker:
    """Start the delivery worker kept on ``holder`` (a server app's state) at once. Each server
    process runs one from start-up, so deliveries queued before it started, or left half-sent by a
    worker process that died, go out without waiting for the next registry change."""
    worker: DeliveryWorker | None = getattr(holder, WORKER_ATTRIBUTE, None)
    if worker is None:
        worker = DeliveryWorker(db)
        setattr(holder, WORKER_ATTRIBUTE, worker)
    worker.kick()
    return worker


def wake_worker(holder: object, db: Database) -> None:
    """Kick the delivery worker kept on ``holder`` (a server app's state) if the change just made
    queued deliveries, making it on first need; every HTTP surface that changes the registry
    (the REST routes, the web UI's forms) calls this after the change."""
    worker: DeliveryWorker | None = getattr(holder, WORKER_ATTRIBUTE, None)
    if worker is None:
        if not has_pending_deliveries(db):
            return
        worker = DeliveryWorker(db)
        setattr(holder, WORKER_ATTRIBUTE, worker)
    worker.kick()
