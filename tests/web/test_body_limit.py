"""Body limits in front of a tiny real app: 413 before the handler has the whole body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cairn.web.body_limit import BodyLimit, BodyLimitMiddleware
from cairn.web.errors import exception_handlers

LIMIT = 100
Limited = Callable[..., Any]


async def count(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


@pytest.fixture
def limited(app_client: Callable[[Any], Any]) -> Limited:
    def build(*by_path_prefix: tuple[str, BodyLimit]) -> Any:
        app = Starlette(routes=[Route("/{path:path}", count, methods=["POST"])],
                        exception_handlers=exception_handlers("Try /."))
        return app_client(BodyLimitMiddleware(app, BodyLimit(LIMIT, hint="Send less."), by_path_prefix))

    return build


def test_a_body_at_the_limit_reaches_the_handler(limited: Limited) -> None:
    assert limited().post("/x", content=b"x" * LIMIT).text == str(LIMIT)


def test_a_declared_length_over_the_limit_is_413_with_the_limit_and_hint(limited: Limited) -> None:
    response = limited().post("/x", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == {"error_code": "INVALID_PARAMETER_VALUE",
                               "message": f"Request bodies are limited to {LIMIT} bytes. Send less."}


def test_a_streamed_body_is_refused_once_it_passes_the_limit(limited: Limited) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * (LIMIT // 2)

    response = limited().post("/x", content=chunks())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_path_prefix_can_have_its_own_limit_or_none(limited: Limited) -> None:
    client = limited(("/big/", BodyLimit(None)), ("/small/", BodyLimit(10, what="Uploads")))
    assert client.post("/big/x", content=b"x" * (LIMIT * 5)).text == str(LIMIT * 5)
    refused = client.post("/small/x", content=b"x" * 11)
    assert refused.status_code == 413 and refused.json()["message"] == "Uploads are limited to 10 bytes."
