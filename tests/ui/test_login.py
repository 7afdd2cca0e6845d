"""Signing in to the web UI in a real browser, on ``cairn server --auth``: an anonymous visit lands
on the login page and comes back after signing in; the user sees only the experiments and models
granted to them, a page of another is refused and a missing one is not found; the session cookie
has its flags; signing out ends it; ``next`` never leaves the site; failed sign-ins are throttled;
a session holds on a two-worker server; and the login page passes the accessibility audit in
light and dark."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cairn.auth import users
from cairn.auth.admin import store_actor
from cairn.auth.sessions import SESSION_LIFETIME_MS
from cairn.store.database import open_database

from .axe_audit import audit
from .conftest import shoot

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
ADMIN, ADMIN_PASSWORD = "admin", "an admin passphrase for tests"


@dataclass
class Site:
    url: str
    username: str
    password: str
    granted_experiment: str
    hidden_experiment: str
    granted_model: str
    hidden_model: str
    hidden_run: str


def start_auth_server(server_factory: Callable[..., Any], workers: int = 1) -> Any:
    server = server_factory("--auth", workers=workers)
    db = open_database(server.store_uri)
    try:
        users.create_admin(db, ADMIN, ADMIN_PASSWORD, store_actor())
    finally:
        db.close()
    return server


def add_user(admin: httpx.Client, prefix: str) -> tuple[str, str]:
    username, password = f"{prefix}-{uuid.uuid4().hex[:6]}", f"pw-{uuid.uuid4().hex}"
    assert admin.post(f"{API}/users/create", json={"username": username, "password": password}).status_code == 200
    return username, password


def experiment_with_a_model(admin: httpx.Client, name: str) -> tuple[str, str]:
    experiment_id = admin.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    run = admin.post(f"{API}/runs/create", json={"experiment_id": experiment_id, "run_name": f"{name}-run"}).json()
    info = run["run"]["info"]
    for step in range(20):
        admin.post(f"{API}/runs/log-metric", json={"run_id": info["run_id"], "key": "loss", "value": 1 / (step + 1),
                                                  "timestamp": step, "step": step})
    assert admin.post(f"{API}/registered-models/create", json={"name": f"{name}-model"}).status_code == 200
    version = admin.post(f"{API}/model-versions/create", json={
        "name": f"{name}-model", "source": info["artifact_uri"] + "/model", "run_id": info["run_id"]})
    assert version.status_code == 200, version.text
    return experiment_id, info["run_id"]


@pytest.fixture(scope="module")
def site(server_factory: Callable[..., Any]) -> Site:
    server = start_auth_server(server_factory)
    with httpx.Client(base_url=server.url, auth=(ADMIN, ADMIN_PASSWORD), timeout=60) as admin:
        granted, _ = experiment_with_a_model(admin, "team-a")
        hidden, hidden_run = experiment_with_a_model(admin, "team-b")
        username, password = add_user(admin, "alice")
        for kind, field, resource in (("experiments", "experiment_id", granted),
                                      ("registered-models", "name", "team-a-model")):
            given = admin.post(f"{API}/{kind}/permissions/create",
                               json={field: resource, "username": username, "permission": "READ"})
            assert given.status_code == 200, given.text
    return Site(server.url, username, password, granted, hidden, "team-a-model", "team-b-model", hidden_run)


def sign_in(page: Any, username: str, password: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_login_page_is_clean_in_light_and_dark_and_passes_the_audit(page, site: Site):
    for scheme in ("light", "dark"):
        audit(page, f"{site.url}/login", scheme, "login")
        shoot(page, f"login-{scheme}")
    page.emulate_media(color_scheme="dark")
    page.goto(f"{site.url}/login")
    sign_in(page, site.username, "not the password")
    assert "Wrong user name or password." in page.get_by_role("alert").inner_text()
    shoot(page, "login-wrong-password-dark")


def test_a_user_signs_in_sees_only_what_is_granted_and_signs_out(page, site: Site):
    page.goto(f"{site.url}/models")
    assert re.search(r"/login\?next=/models$", page.url)
    sign_in(page, site.username, site.password)
    page.wait_for_url(f"{site.url}/models")
    assert page.get_by_role("link", name=site.granted_model).is_visible()
    assert page.get_by_role("link", name=site.hidden_model).count() == 0
    assert page.locator(".account .who").inner_text() == site.username

    cookie = next(c for c in page.context.cookies() if c["name"] == "cairn_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (True, "Strict", "/", False)
    assert 0 < cookie["expires"] - time.time() <= SESSION_LIFETIME_MS / 1000

    page.goto(site.url + "/")
    assert page.get_by_role("link", name="team-a").is_visible()
    assert page.get_by_role("link", name="team-b").count() == 0
    shoot(page, "signed-in-experiments")
    page.get_by_role("link", name="team-a").click()
    page.get_by_role("link", name="team-a-run").click()
    page.wait_for_selector("figure.chart[data-key='loss'][data-drawn='true']")  # charts read through the session

    for path in (f"/experiments/{site.hidden_experiment}", f"/runs/{site.hidden_run}", f"/models/{site.hidden_model}"):
        answer = page.goto(site.url + path)
        assert answer.status == 403, path
        assert page.get_by_role("heading", name="Something is not right").is_visible()
        assert "may not read" in page.get_by_role("alert").inner_text()
    shoot(page, "not-allowed")
    audit(page, f"{site.url}/runs/{site.hidden_run}", "light", "not-allowed")
    assert page.goto(f"{site.url}/models/no-such-model").status == 404

    page.goto(site.url + "/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
    assert page.get_by_role("status").inner_text() == "Signed out."
    assert not [c for c in page.context.cookies() if c["name"] == "cairn_session"]
    page.goto(f"{site.url}/models")
    assert "/login?next=" in page.url


def test_next_with_an_absolute_url_lands_on_the_home_page(page, site: Site):
    page.goto(f"{site.url}/login?next=https://evil.example/phish")
    sign_in(page, site.username, site.password)
    page.wait_for_url(f"{site.url}/")
    assert page.get_by_role("heading", name="Experiments").is_visible()


def test_failed_sign_ins_are_throttled(page, site: Site):
    with httpx.Client(base_url=site.url, auth=(ADMIN, ADMIN_PASSWORD), timeout=60) as admin:
        username, password = add_user(admin, "forgetful")
    page.goto(f"{site.url}/login")
    for _ in range(5):
        sign_in(page, username, "a wrong guess at it")
        assert "Wrong user name or password." in page.get_by_role("alert").inner_text()
    sign_in(page, username, password)
    assert "Too many failed sign-ins" in page.get_by_role("alert").inner_text()
    assert "/login" in page.url
    shoot(page, "login-throttled")


def test_a_session_holds_on_a_two_worker_server(browser, server_factory: Callable[..., Any]):
    server = start_auth_server(server_factory, workers=2)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}/models")
        sign_in(page, ADMIN, ADMIN_PASSWORD)
        page.wait_for_url(f"{server.url}/models")
        for _ in range(6):
            second = context.new_page()  # new pages, new connections: either worker answers
            assert second.goto(f"{server.url}/").status == 200
            assert second.locator(".account .who").inner_text() == ADMIN
            second.close()
    finally:
        context.close()
