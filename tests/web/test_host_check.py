"""The Host and Origin checks in front of a tiny real app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cairn.web.host_check import HostCheckMiddleware, host_name

Guarded = Callable[..., Any]


async def echo(request: Request) -> Response:
    return PlainTextResponse("ok")


@pytest.fixture
def guarded(app_client: Callable[[Any], Any]) -> Guarded:
    def build(bind_host: str = "127.0.0.1", **options: tuple[str, ...]) -> Any:
        app = Starlette(routes=[Route("/", echo, methods=["GET", "POST"])])
        return app_client(HostCheckMiddleware(app, bind_host, **options))

    return build


@pytest.mark.parametrize(
    ("header", "name"),
    [("example.com:5000", "example.com"), ("LOCALHOST", "localhost"), ("[::1]:80", "::1"), ("10.0.0.1", "10.0.0.1")],
)
def test_host_names_are_read_without_port(header: str, name: str) -> None:
    assert host_name(header) == name


def test_a_foreign_host_name_is_refused_with_403_naming_it(guarded: Guarded) -> None:
    response = guarded().get("/", headers={"Host": "attacker.example"})
    assert response.status_code == 403
    assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert "--allowed-hosts attacker.example" in response.json()["message"]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:5000", "[::1]:5000", "10.1.2.3", "ml.example.com"])
def test_local_names_ip_literals_and_allowed_names_pass(guarded: Guarded, host: str) -> None:
    assert guarded(allowed_hosts=("ML.example.com",)).get("/", headers={"Host": host}).status_code == 200


def test_the_bind_host_is_an_allowed_name(guarded: Guarded) -> None:
    assert guarded("cairn.internal").get("/", headers={"Host": "cairn.internal:5000"}).status_code == 200
    assert guarded("0.0.0.0").get("/", headers={"Host": "cairn.internal"}).status_code == 403


def test_a_cross_origin_post_is_refused_but_a_get_and_a_same_origin_post_pass(guarded: Guarded) -> None:
    client = guarded()
    forged = client.post("/", headers={"Origin": "http://attacker.example"})
    assert forged.status_code == 403 and "Cross-origin POST" in forged.json()["message"]
    assert client.get("/", headers={"Origin": "http://attacker.example"}).status_code == 200
    assert client.post("/", headers={"Origin": "http://localhost"}).status_code == 200


def test_an_allowed_origin_may_post(guarded: Guarded) -> None:
    client = guarded(allowed_origins=("https://ui.example.com/",))
    assert client.post("/", headers={"Origin": "https://UI.example.com"}).status_code == 200
