"""Webhooks: signed POSTs to a real receiver on 127.0.0.1, retries with backoff, delivery log,
and refusal of private targets unless allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import cairn
from cairn import registry
from cairn.entities import MetricRequirement, Policy
from cairn.errors import Conflict, InvalidParameter, NotFound
from cairn.registry.webhook_delivery import (
    BACKOFF_MS,
    LEASE_MS,
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
)
from cairn.store import registry_webhooks as outbox

SECRET = "s3cret-s3cret-s3cret"
STAGE_CHANGED = "model_version.stage_changed"


def _public(host, port):
    return ["93.184.216.34"]


@pytest.fixture
def hook(db, receiver, alice):
    webhook, _ = registry.create_webhook(db, receiver.url, alice, [STAGE_CHANGED], secret=SECRET,
                                         allow_private=True)
    return webhook


def test_promotion_posts_a_signed_event_to_the_webhook(db, hook, receiver, make_versions, alice):
    make_versions(1)
    registry.promote(db, "churn", 1, "Production", alice, reason="ship it")
    (delivery,) = registry.deliver_due(db)
    assert (delivery.status, delivery.status_code, delivery.attempts, delivery.event) == (
        "DELIVERED", 200, 1, STAGE_CHANGED)
    (request,) = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER.lower()] == expected
    assert request.headers["x-cairn-event"] == STAGE_CHANGED
    body = json.loads(request.body)
    assert (body["event"], body["delivery_id"]) == (STAGE_CHANGED, delivery.delivery_id)
    data = body["data"]
    assert (data["model_name"], data["version"], data["from"], data["to"], data["actor"], data["reason"]) == (
        "churn", 1, "None", "Production", "alice", "ship it")
    assert registry.list_deliveries(db, hook.webhook_id) == [delivery]


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_once_its_lease_runs_out(
        db, hook, receiver, make_versions, alice, clock):
    make_versions(1)
    registry.promote(db, "churn", 1, "Staging", alice)
    with db.write() as tx:  # a worker claims the delivery, then dies before sending it
        (lost,) = outbox.claim_due(tx, clock.now, LEASE_MS, 10, None)
    assert registry.deliver_due(db) == []  # another worker leaves a live claim alone
    clock.advance(LEASE_MS)
    (sent,) = registry.deliver_due(db)
    assert (sent.delivery_id, sent.status, sent.attempts) == (lost.delivery_id, "DELIVERED", 1)
    assert len(receiver.received) == 1 and registry.deliver_due(db) == []


def test_an_attempt_that_outlived_its_lease_does_not_overwrite_the_worker_that_took_over(
        db, hook, make_versions, alice, clock):
    make_versions(1)
    registry.promote(db, "churn", 1, "Staging", alice)
    with db.write() as tx:
        (stalled,) = outbox.claim_due(tx, clock.now, LEASE_MS, 10, None)
    clock.advance(LEASE_MS)
    with db.write() as tx:
        (taken_over,) = outbox.claim_due(tx, clock.now, LEASE_MS, 10, None)
        assert outbox.record_attempt(tx, taken_over, status="DELIVERED", attempts=1, now=clock.now,
                                     status_code=200, error=None, next_attempt_time=None)
        assert not outbox.record_attempt(tx, stalled, status="FAILED", attempts=1, now=clock.now,
                                         status_code=500, error="HTTP 500", next_attempt_time=None)
    (logged,) = registry.list_deliveries(db, hook.webhook_id)
    assert (logged.status, logged.status_code) == ("DELIVERED", 200)


def test_failed_delivery_is_retried_with_backoff_then_delivered(db, hook, receiver, make_versions, alice, clock):
    make_versions(1)
    receiver.statuses = [503]
    registry.promote(db, "churn", 1, "Staging", alice)
    (first,) = registry.deliver_due(db)
    assert (first.status, first.status_code, first.next_attempt_time) == ("PENDING", 503, clock.now + BACKOFF_MS[0])
    assert registry.deliver_due(db) == []  # not due yet
    clock.advance(BACKOFF_MS[0])
    (second,) = registry.deliver_due(db)
    assert (second.status, second.attempts, second.status_code) == ("DELIVERED", 2, 200)
    one, two = receiver.received
    assert one.body == two.body and one.headers[SIGNATURE_HEADER.lower()] == two.headers[SIGNATURE_HEADER.lower()]


def test_delivery_is_marked_failed_after_the_last_attempt(db, hook, receiver, make_versions, alice, clock):
    make_versions(1)
    receiver.statuses = [500] * MAX_ATTEMPTS
    registry.promote(db, "churn", 1, "Staging", alice)
    results = []
    for wait in (0, *BACKOFF_MS):
        clock.advance(wait)
        results += registry.deliver_due(db)
    assert [d.status for d in results] == ["PENDING"] * (MAX_ATTEMPTS - 1) + ["FAILED"]
    assert (results[-1].attempts, results[-1].status_code, results[-1].error) == (MAX_ATTEMPTS, 500, "HTTP 500")
    clock.advance(10**9)
    assert registry.deliver_due(db) == []


def test_client_errors_are_not_retried(db, hook, receiver, make_versions, alice):
    make_versions(1)
    receiver.statuses = [404]
    registry.promote(db, "churn", 1, "Staging", alice)
    (delivery,) = registry.deliver_due(db)
    assert (delivery.status, delivery.attempts, delivery.status_code) == ("FAILED", 1, 404)


def test_unreachable_receiver_is_retried(db, make_versions, alice):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registry.create_webhook(db, f"http://127.0.0.1:{port}/hook", alice, secret=SECRET, allow_private=True)
    make_versions(1)
    deliveries = registry.deliver_due(db)
    assert {d.event for d in deliveries} == {"registered_model.created", "model_version.created"}
    assert all(d.status == "PENDING" and d.status_code is None and "ConnectError" in d.error for d in deliveries)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254",
                                     "::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1"])
def test_private_loopback_and_link_local_targets_are_refused_unless_allowed(db, alice, row_counts, address):
    before = row_counts()
    with pytest.raises(InvalidParameter, match="non-public address"):
        registry.create_webhook(db, "https://hooks.example.com/x", alice, resolve=lambda host, port: [address])
    assert row_counts() == before
    webhook, _ = registry.create_webhook(db, "https://hooks.example.com/x", alice, allow_private=True,
                                         resolve=lambda host, port: [address])
    assert webhook.allow_private


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://", "https://user:pw@example.com/",
                                 "not a url"])
def test_only_http_urls_without_credentials_are_accepted(db, alice, url):
    with pytest.raises(InvalidParameter):
        registry.create_webhook(db, url, alice, resolve=_public)


def test_delivery_rechecks_the_target_address(db, receiver, make_versions, alice):
    registry.create_webhook(db, receiver.url, alice, [STAGE_CHANGED], secret=SECRET, resolve=_public)
    make_versions(1)
    registry.promote(db, "churn", 1, "Staging", alice)
    (delivery,) = registry.deliver_due(db, resolve=lambda host, port: ["127.0.0.1"])
    assert (delivery.status, delivery.attempts) == ("FAILED", 1)
    assert "non-public address 127.0.0.1" in delivery.error
    assert receiver.received == []


def test_webhook_test_sends_a_signed_ping_and_logs_the_result(db, hook, receiver, alice):
    delivery = registry.send_test(db, hook.webhook_id, alice)
    assert (delivery.event, delivery.status) == ("webhook.test", "DELIVERED")
    assert json.loads(receiver.received[0].body)["data"]["sent_by"] == "alice"


def test_failed_test_ping_is_not_retried(db, hook, receiver, alice):
    receiver.statuses = [502]
    delivery = registry.send_test(db, hook.webhook_id, alice)
    assert (delivery.status, delivery.status_code) == ("FAILED", 502)


def test_only_subscribed_events_are_sent(db, receiver, make_versions, alice):
    registry.create_webhook(db, receiver.url, alice, ["model_version.rolled_back"], secret=SECRET, allow_private=True)
    make_versions(2)
    registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 2, "Production", alice)
    assert registry.deliver_due(db) == []
    registry.rollback(db, "churn", alice, reason="bad")
    (delivery,) = registry.deliver_due(db)
    assert delivery.event == "model_version.rolled_back"
    assert json.loads(receiver.received[0].body)["data"]["details"]["rolled_back_from"] == 2


def test_a_refused_change_announces_nothing(db, hook, make_run, make_versions, alice):
    make_versions(1, source_run=make_run({"auc": 0.1}))
    registry.set_policy(db, "churn", Policy(required_metrics=(MetricRequirement("auc", ">", 0.5),)), alice)
    with pytest.raises(Conflict):
        registry.promote(db, "churn", 1, "Production", alice)
    assert registry.list_deliveries(db) == []


def test_removing_a_webhook_drops_it_and_its_log(db, hook, make_versions, alice):
    make_versions(1)
    registry.promote(db, "churn", 1, "Staging", alice)
    registry.delete_webhook(db, hook.webhook_id, alice)
    assert registry.list_webhooks(db) == [] and registry.list_deliveries(db) == []
    with pytest.raises(NotFound):
        registry.delete_webhook(db, hook.webhook_id, alice)


def test_unknown_events_and_short_secrets_are_refused(db, alice):
    with pytest.raises(InvalidParameter, match="Unknown webhook event"):
        registry.create_webhook(db, "https://ci.example.com", alice, ["model.exploded"], resolve=_public)
    with pytest.raises(InvalidParameter, match="secret"):
        registry.create_webhook(db, "https://ci.example.com", alice, secret="short", resolve=_public)


def test_embedded_client_delivers_in_the_background(store_dir, receiver):
    client = cairn.Client()
    client.create_webhook(receiver.url, [STAGE_CHANGED], secret=SECRET, allow_private=True, user="alice")
    run = client.create_run("0")
    client.log_text(run.run_id, "weights", "model/model.pkl")
    client.register_model(f"runs:/{run.run_id}/model", "churn")
    client.promote("churn", 1, "Staging", user="alice")
    (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["data"]["to"] == "Staging"


def test_a_webhook_removed_while_its_delivery_is_in_flight_ends_the_attempt_cleanly(db, make_versions, alice):
    """Another request (on any worker) deletes the webhook, and its delivery log, while the POST is
    on its way: the worker reports the outcome and goes on, with nothing left to log it in."""
    box: list[str] = []

    class RemovesItsWebhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            registry.delete_webhook(db, box[0], alice)
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RemovesItsWebhook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        webhook, _ = registry.create_webhook(db, f"http://127.0.0.1:{server.server_address[1]}/hook", alice,
                                             [STAGE_CHANGED], secret=SECRET, allow_private=True)
        box.append(webhook.webhook_id)
        make_versions(1)
        registry.promote(db, "churn", 1, "Staging", alice)
        (delivery,) = registry.deliver_due(db)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert (delivery.status_code, delivery.attempts, delivery.webhook_id) == (500, 1, webhook.webhook_id)
    assert registry.list_deliveries(db, None) == [] and registry.deliver_due(db) == []
