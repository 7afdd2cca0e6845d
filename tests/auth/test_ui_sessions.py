"""Signing in to the web UI on a server with --auth: the login form starts a session (a cookie that
is HttpOnly, SameSite=Strict, scoped to the UI's base and expiring), an anonymous browser is sent
to the login page while scripts keep getting 401, ``next`` never leads off the site, failed
sign-ins are throttled as on the API, sign-out and a password change end the session on the
server, the cookie never opens the REST API, and sessions hold across worker processes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cairn.auth.sessions import SESSION_LIFETIME_MS

from .conftest import ADMIN, ADMIN_PASSWORD, API, Account

HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def post_login(client: httpx.Client, username: str, password: str, next_path: str = "/",
               **headers: str) -> httpx.Response:
    form = client.get("/login", params={"next": next_path}, headers=headers)
    assert form.status_code == 200, form.text
    return client.post("/login", headers=headers, data={
        "csrf_token": csrf_of(form.text), "next": next_path, "username": username, "password": password})


@pytest.fixture
def browser_for(auth_server: Any) -> Iterator[Callable[..., httpx.Client]]:
    """``browser_for(account)``: an HTTP client with a session cookie, as a browser has after the login form."""
    opened: list[httpx.Client] = []

    def sign_in(account: Account | None = None, server: Any = auth_server) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=60, headers=HTML)
        opened.append(client)
        username, password = (account.username, account.password) if account else (ADMIN, ADMIN_PASSWORD)
        done = post_login(client, username, password)
        assert done.status_code == 303, done.text
        return client

    yield sign_in
    for client in opened:
        client.close()


def test_an_anonymous_browser_is_sent_to_the_login_page_and_comes_back(auth_server: Any) -> None:
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        sent = client.get("/models", params={"done": "x"}, headers=HTML)
        assert sent.status_code == 303
        assert sent.headers["location"] == "/login?next=/models%3Fdone%3Dx"
        assert "www-authenticate" not in sent.headers  # no HTTP Basic dialog in a browser
        done = post_login(client, ADMIN, ADMIN_PASSWORD, "/models?done=x")
        assert (done.status_code, done.headers["location"]) == (303, "/models?done=x")
        page = client.get("/models?done=x", headers=HTML)
        assert page.status_code == 200 and f'Signed in as <strong class="who">{ADMIN}</strong>' in page.text


def test_scripts_and_json_twins_still_get_401_and_htmx_is_told_where_to_go(anonymous: httpx.Client) -> None:
    for answer in (anonymous.get("/models"), anonymous.get("/models", params={"format": "json"}, headers=HTML)):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Basic")
        assert answer.json()["error_code"] == "UNAUTHENTICATED"
    partial = anonymous.get("/runs/" + "0" * 32 + "/preview", headers={"HX-Request": "true"})
    assert partial.status_code == 401 and "www-authenticate" not in partial.headers
    assert partial.headers["hx-redirect"].startswith("/login?next=/runs/")


def test_the_session_cookie_is_httponly_strict_scoped_and_expires(auth_server: Any) -> None:
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        done = post_login(client, ADMIN, ADMIN_PASSWORD)
        cookie = done.headers["set-cookie"]
        assert cookie.startswith("cairn_session=")
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite", "path", "max-age"} <= set(flags), cookie
        assert flags["samesite"].lower() == "samesite=strict"
        assert flags["path"] == "Path=/"
        assert flags["max-age"] == f"Max-Age={SESSION_LIFETIME_MS // 1000}"
        assert "secure" not in flags  # plain HTTP on localhost must work


def test_the_cookie_is_secure_and_scoped_to_the_prefix_behind_a_tls_proxy(auth_server: Any) -> None:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/tools/cairn"}
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        form = client.get("/login", headers=proxy)
        assert 'action="/tools/cairn/login"' in form.text
        csrf_cookie = form.headers["set-cookie"]
        assert "; Secure" in csrf_cookie and "Path=/tools/cairn/" in csrf_cookie  # the CSRF cookie too
        # The proxy strips its prefix; the browser sends the cookie to /tools/cairn/login.
        sent_cookie = {"Cookie": csrf_cookie.split(";")[0]}
        done = client.post("/login", headers={**proxy, **sent_cookie}, data={
            "csrf_token": csrf_of(form.text), "next": "/tools/cairn/models", "username": ADMIN,
            "password": ADMIN_PASSWORD})
        assert (done.status_code, done.headers["location"]) == (303, "/tools/cairn/models")
        cookie = done.headers["set-cookie"]
        assert "; Secure" in cookie and "Path=/tools/cairn/" in cookie


@pytest.mark.parametrize("next_path", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/models\r\nX-Bad: 1",
    "http://127.0.0.1/models", "/login", "",
])  # fmt: skip
def test_next_never_leads_off_the_site(auth_server: Any, next_path: str) -> None:
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        done = post_login(client, ADMIN, ADMIN_PASSWORD, next_path)
        assert (done.status_code, done.headers["location"]) == (303, "/")


def test_a_login_without_the_csrf_token_is_refused(auth_server: Any) -> None:
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        refused = client.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD})
        assert refused.status_code == 403
        assert "cairn_session" not in refused.headers.get("set-cookie", "")
        assert "CSRF token" in refused.text


def test_a_wrong_password_shows_the_form_again_with_401(auth_server: Any, new_account: Any) -> None:
    account = new_account("typo")
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        wrong = post_login(client, account.username, "not the password at all")
        assert wrong.status_code == 401 and "www-authenticate" not in wrong.headers
        assert "Wrong user name or password." in wrong.text
        assert f'value="{account.username}"' in wrong.text  # the name stays typed in
        assert "cairn_session" not in client.cookies


def test_failed_logins_are_throttled_like_the_api(fresh_auth_server: Callable[..., Any]) -> None:
    server = fresh_auth_server()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for _ in range(5):
            assert post_login(client, ADMIN, "a wrong guess at the password").status_code == 401
        throttled = post_login(client, ADMIN, ADMIN_PASSWORD)  # even the right password, now
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in throttled.text
        # The API counts the same failures: HTTP Basic from this address is throttled too.
        assert client.get(f"{API}/experiments/search", auth=(ADMIN, ADMIN_PASSWORD)).status_code == 429


def test_the_session_cookie_does_not_open_the_rest_api(browser_for: Callable[..., httpx.Client]) -> None:
    client = browser_for()
    assert client.get("/models", params={"format": "json"}).status_code == 200
    for path in (f"{API}/experiments/search", "/api/cairn/v1/transition-requests", "/version", "/graphql"):
        assert client.get(path).status_code == 401, path


def test_sign_out_ends_the_session_on_the_server(browser_for: Callable[..., httpx.Client], auth_server: Any) -> None:
    client = browser_for()
    stolen = client.cookies["cairn_session"]
    out = client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    assert (out.status_code, out.headers["location"]) == (303, "/login?signed_out=1")
    assert 'cairn_session=""' in out.headers["set-cookie"]
    with httpx.Client(base_url=auth_server.url, timeout=60, headers=HTML) as replay:
        replay.cookies.set("cairn_session", stolen)
        assert replay.get("/models").status_code == 303  # a copy of the old cookie opens nothing


def test_sign_out_needs_the_csrf_token(browser_for: Callable[..., httpx.Client]) -> None:
    client = browser_for()
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/models").status_code == 200  # still signed in


def test_a_password_change_ends_the_users_sessions(browser_for: Callable[..., httpx.Client], new_account: Any,
                                                   admin_http: httpx.Client) -> None:
    account = new_account("rotating")
    client = browser_for(account)
    assert client.get("/").status_code == 200
    changed = admin_http.patch(f"{API}/users/update-password",
                               json={"username": account.username, "password": f"pw-{uuid.uuid4().hex}"})
    assert changed.status_code == 200, changed.text
    assert client.get("/").status_code == 303


def test_a_session_holds_across_worker_processes(server_factory: Callable[..., Any]) -> None:
    from cairn.auth import users
    from cairn.auth.admin import store_actor
    from cairn.store.database import open_database

    server = server_factory("--auth", workers=2)
    db = open_database(server.store_uri)
    users.create_admin(db, ADMIN, ADMIN_PASSWORD, store_actor())
    db.close()
    fresh_connections = httpx.Limits(max_keepalive_connections=0)  # each request may reach either worker
    with httpx.Client(base_url=server.url, timeout=60, headers=HTML, limits=fresh_connections) as client:
        assert post_login(client, ADMIN, ADMIN_PASSWORD).status_code == 303
        for _ in range(12):
            page = client.get("/models")
            assert page.status_code == 200, page.text
        # A form rendered by one worker posts to another: sign out works wherever it lands.
        out = client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
        assert out.status_code == 303
        for _ in range(4):
            assert client.get("/models").status_code == 303
