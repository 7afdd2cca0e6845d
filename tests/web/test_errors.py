"""The one mapping from exceptions to responses, on a tiny real app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cairn.errors import NotFound, StoreUnavailable
from cairn.web.errors import exception_handlers


async def missing(request: Request) -> Response:
    raise NotFound("Run 'abc' does not exist.")


async def unavailable(request: Request) -> Response:
    raise StoreUnavailable("The tracking database is unavailable; retry shortly.")


async def broken(request: Request) -> Response:
    raise RuntimeError("SELECT * FROM secrets at /srv/cairn/db.sqlite")


@pytest.fixture
def client(app_client: Callable[[Any], Any]) -> Any:
    app = Starlette(routes=[Route("/missing", missing), Route("/unavailable", unavailable),
                            Route("/broken", broken), Route("/only-post", missing, methods=["POST"])],
                    exception_handlers=exception_handlers("This app answers /missing."))
    return app_client(app)


def test_a_cairn_error_keeps_its_code_status_and_message_in_compact_json(client: Any) -> None:
    response = client.get("/missing")
    assert response.status_code == 404 and response.headers["content-type"] == "application/json"
    assert response.content == b'{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Run \'abc\' does not exist."}'


def test_a_5xx_cairn_error_is_logged(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="cairn.web"):
        response = client.get("/unavailable")
    assert response.status_code == 503 and response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "GET /unavailable failed: TEMPORARILY_UNAVAILABLE" in caplog.text


def test_an_unexpected_error_is_a_generic_500_and_a_log_line(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="cairn.web"):
        response = client.get("/broken")
    assert response.status_code == 500
    assert response.json() == {"error_code": "INTERNAL_ERROR",
                               "message": "Internal server error; the server log has the details."}
    assert "GET /broken failed with an unexpected RuntimeError" in caplog.text


def test_an_unknown_path_is_404_endpoint_not_found_saying_what_the_app_answers(client: Any) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error_code": "ENDPOINT_NOT_FOUND",
                               "message": "No endpoint GET /nowhere. This app answers /missing."}


def test_a_wrong_method_is_405_naming_the_allowed_ones(client: Any) -> None:
    response = client.get("/only-post")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json() == {"error_code": "BAD_REQUEST", "message": "/only-post does not accept GET; use POST."}
