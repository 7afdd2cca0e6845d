"""The model page's actions in a real browser: promote with a reason and a confirmation, a missing
reason refused in the page, rollback, a gate refusal shown with what failed, a sign-off request
approved by a second user, and POSTs without a CSRF token or from another origin refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

import cairn
from cairn.entities import Policy

from .conftest import Seeded, shoot

pytestmark = pytest.mark.slow


@pytest.fixture
def client(seeded: Seeded) -> Iterator[cairn.Client]:
    client = cairn.Client(seeded.url)
    yield client
    client.close()


def new_model(client: cairn.Client, seeded: Seeded, versions: int = 2) -> str:
    """A model of its own per test, so the shared server's other pages keep their data."""
    name = f"actions-{uuid.uuid4().hex[:6]}"
    for _ in range(versions):
        client.register_model(f"runs:/{seeded.chart_run_id}/model", name, user="alice")
    return name


def open_model(page, seeded: Seeded, name: str, user: str | None = None):  # type: ignore[no-untyped-def]
    if user is not None:  # without --auth, the stated user is the actor (recorded as unverified)
        page.context.set_extra_http_headers({"X-Cairn-User": user})
    page.goto(f"{seeded.url}/models/{name}")


def promote(page, version: int, stage: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("form", has=page.get_by_role("heading", name="Change a version's stage"))
    form.get_by_label("Version").select_option(str(version))
    form.get_by_label("Stage").select_option(stage)
    form.get_by_label("Reason (required)").fill(reason)
    form.get_by_role("button", name="Promote…").click()


def audit_rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("section[aria-labelledby='audit-h'] tbody tr").all_inner_texts()


def test_promote_with_a_reason_after_confirming_shows_in_timeline_and_audit_log(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded)
    open_model(page, seeded, name)
    promote(page, 1, "Production", "ship it from the UI")
    confirm = page.locator("form.confirm")
    assert "Move v1" in confirm.inner_text() and "Production" in confirm.inner_text()
    assert "ship it from the UI" in confirm.inner_text()
    assert "ship it from the UI" not in " ".join(audit_rows(page))  # nothing happens before confirming
    assert page.get_by_label("Reason (required)").first.input_value() == "ship it from the UI"
    shoot(page, "model-promote-confirm")
    confirm.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"done=promoted"))
    assert "moved to its new stage" in page.get_by_role("status").inner_text()
    assert "v1 in Production" in page.locator("p.lead").inner_text()
    bar = page.locator("figure.gantt rect.bar.stage")
    assert bar.count() == 1 and "ship it from the UI" in bar.get_attribute("aria-label")
    first = audit_rows(page)[0]
    assert "ship it from the UI" in first and "unknown" in first and "None → Production" in first
    shoot(page, "model-promoted")
    page.reload()  # POST/redirect/GET: reloading repeats nothing
    assert sum("ship it from the UI" in row for row in audit_rows(page)) == 1


def test_a_promotion_without_a_reason_is_refused_with_a_message(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded)
    open_model(page, seeded, name)
    promote(page, 2, "Staging", "   ")
    alert = page.get_by_role("alert")
    assert "A reason is required" in alert.inner_text() and "No version changed stage" in alert.inner_text()
    assert page.get_by_label("Reason (required)").first.get_attribute("aria-invalid") == "true"
    assert page.locator("form.confirm").count() == 0
    shoot(page, "model-promote-no-reason")
    assert "Staging" not in page.locator("section[aria-labelledby='versions-h'] tbody").inner_text()


def test_rollback_after_confirming_shows_in_the_timeline(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded)
    client.promote(name, 1, "Production", reason="first", user="alice")
    client.promote(name, 2, "Production", reason="second", user="bob")
    open_model(page, seeded, name, user="carol")
    form = page.locator("form", has=page.get_by_role("heading", name="Roll back Production"))
    form.get_by_label("Reason (required)").fill("v2 misbehaves")
    form.get_by_role("button", name="Roll back…").click()
    page.locator("form.confirm").get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"done=rolled-back"))
    assert "v1 in Production" in page.locator("p.lead").inner_text()
    labels = page.locator("figure.gantt rect.bar.stage").evaluate_all("bars => bars.map(b => b.getAttribute('aria-label'))")
    assert any(text.startswith("v1 in Production") and "until now, by carol (unverified): v2 misbehaves" in text for text in labels)
    assert "carol" in audit_rows(page)[0]
    shoot(page, "model-rolled-back")


def test_a_failing_gate_is_shown_with_what_failed(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded, versions=1)
    client.set_policy(name, Policy(require_signature=True), user="alice")
    open_model(page, seeded, name)
    promote(page, 1, "Production", "try it")
    page.locator("form.confirm").get_by_role("button", name="Confirm").click()
    alert = page.get_by_role("alert")
    assert "Refused (INVALID_STATE)" in alert.inner_text()
    assert "1 gate(s) failed: signature: observed MLmodel has no signature" in alert.inner_text()
    assert "No version is in Production" in page.locator("p.lead").inner_text()
    shoot(page, "model-gate-refused")


def test_a_signoff_request_is_pending_until_another_user_approves_it(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded, versions=1)
    client.set_policy(name, Policy(require_signoff=True), user="alice")
    open_model(page, seeded, name, user="alice")
    promote(page, 1, "Production", "needs a second pair of eyes")
    page.locator("form.confirm").get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"done=pending"))
    assert "Sign-off requested" in page.get_by_role("status").inner_text()
    pending = page.locator("section[aria-labelledby='pending-h'] tbody tr")
    assert pending.count() == 1 and "alice" in pending.inner_text() and "None → Production" in pending.inner_text()
    assert "No version is in Production" in page.locator("p.lead").inner_text()
    shoot(page, "model-signoff-pending")

    page.get_by_role("button", name="Approve v1").click()  # the requester cannot approve it
    assert "PERMISSION_DENIED" in page.get_by_role("alert").inner_text()
    assert pending.count() == 1

    open_model(page, seeded, name, user="bob")
    page.get_by_label("Comment (optional)").fill("looks good")
    page.get_by_role("button", name="Approve v1").click()
    page.wait_for_url(re.compile(r"done=approved"))
    assert "v1 in Production" in page.locator("p.lead").inner_text()
    assert "No request waits for sign-off" in page.locator("section[aria-labelledby='pending-h']").inner_text()
    assert any("bob" in row for row in audit_rows(page))
    shoot(page, "model-signoff-approved")


def test_a_signoff_request_can_be_rejected(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded, versions=1)
    client.set_policy(name, Policy(require_signoff=True), user="alice")
    client.promote(name, 1, "Production", reason="please", user="alice")
    open_model(page, seeded, name, user="bob")
    page.get_by_role("button", name="Reject v1").click()
    page.wait_for_url(re.compile(r"done=rejected"))
    assert "No request waits for sign-off" in page.locator("section[aria-labelledby='pending-h']").inner_text()
    assert "No version is in Production" in page.locator("p.lead").inner_text()


def test_posts_without_the_csrf_token_or_from_another_origin_are_refused(page, seeded: Seeded, client: cairn.Client):
    name = new_model(client, seeded, versions=1)
    open_model(page, seeded, name)
    token = page.locator("input[name=csrf_token]").first.input_value()
    form = {"version": "1", "stage": "Staging", "reason": "r", "confirmed": "yes"}
    url = f"{seeded.url}/models/{name}/promote"
    missing = page.request.post(url, form=form)  # the page's cookies go along
    assert missing.status == 403 and "CSRF token is missing or wrong" in missing.text()
    wrong = page.request.post(url, form={**form, "csrf_token": token[:-1] + ("0" if token[-1] != "0" else "1")})
    assert wrong.status == 403
    foreign = page.request.post(url, form={**form, "csrf_token": token}, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and foreign.json()["error_code"] == "PERMISSION_DENIED"
    assert "Cross-origin" in foreign.json()["message"]
    open_model(page, seeded, name)
    assert "Staging" not in page.locator("section[aria-labelledby='versions-h'] tbody").inner_text()
    done = page.request.post(url, form={**form, "csrf_token": token}, max_redirects=0)
    assert done.status == 303
