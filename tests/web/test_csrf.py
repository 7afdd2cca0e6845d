"""CSRF tokens in front of a tiny real app: a page sets the cookie and the field; a POST passes
only with both, equal and signed here, else 403 PERMISSION_DENIED."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cairn.web import csrf
from cairn.web.errors import exception_handlers


async def form_page(request: Request) -> Response:
    token = csrf.token_for(request)
    response = PlainTextResponse(token)
    csrf.set_cookie(response, token, "/", secure=False)
    return response


async def change(request: Request) -> Response:
    form = {k: v for k, v in (pair.split("=", 1) for pair in (await request.body()).decode().split("&") if pair)}
    csrf.check(request, form.get(csrf.FIELD))
    return PlainTextResponse("changed")


def with_cookie(token: str) -> dict[str, str]:
    return {"cookie": f"{csrf.COOKIE}={token}"}


@pytest.fixture
def client(app_client: Callable[[Any], Any]) -> Any:
    app = Starlette(routes=[Route("/", form_page), Route("/change", change, methods=["POST"])],
                    exception_handlers=exception_handlers("Try /."))
    return app_client(app)


def test_the_page_sets_an_httponly_strict_cookie_holding_the_field_token(client: Any) -> None:
    page = client.get("/")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{csrf.COOKIE}={page.text};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    again = client.get("/", headers=with_cookie(page.text))
    assert again.text == page.text  # a valid cookie is kept, so other open tabs keep working


def test_a_post_with_the_cookie_and_the_same_field_passes(client: Any) -> None:
    token = client.get("/").text
    done = client.post("/change", headers=with_cookie(token), content=f"{csrf.FIELD}={token}")
    assert (done.status_code, done.text) == (200, "changed")


@pytest.mark.parametrize("cookie, field", [
    ("TOKEN", None),               # no field
    (None, "TOKEN"),               # no cookie
    ("TOKEN", "TOKEN-other"),      # different values
    ("forged.00ff", "forged.00ff"),  # equal, but not signed by this server
], ids=["no-field", "no-cookie", "mismatch", "unsigned"])
def test_a_post_without_a_matching_signed_token_is_refused(client: Any, cookie: str | None, field: str | None) -> None:
    token = client.get("/").text
    headers = with_cookie(cookie.replace("TOKEN", token)) if cookie else {}
    body = f"{csrf.FIELD}={field.replace('TOKEN', token)}" if field else "other=1"
    refused = client.post("/change", headers=headers, content=body)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    assert "CSRF token is missing or wrong" in refused.json()["message"]


def test_worker_processes_given_the_servers_key_sign_alike() -> None:
    """`cairn server --workers N` hands every worker one key, so a form one worker rendered is
    accepted by another; without it each process signs with its own."""
    import os
    import subprocess
    import sys

    code = "from cairn.web import csrf; print(csrf._signature('same-nonce'))"
    shared = {**os.environ, **csrf.shared_key_env()}

    def signature(env: dict[str, str]) -> str:
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert signature(shared) == signature(shared)
    unshared = {k: v for k, v in os.environ.items() if k != csrf.ENV_KEY}
    assert signature(unshared) != signature(unshared)
