"""Request bodies above a limit get 413 without being read whole: at once when
``Content-Length`` says so, else as soon as the streamed byte count passes the limit.

Each app names its own limit (``BodyLimit``) and the hint its refusal gives; paths under some
prefixes may have a limit of their own (the tracking server's artifact uploads, by default none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import PayloadTooLarge

from .errors import send_error
from .host_check import header


@dataclass(frozen=True)
class BodyLimit:
    """At most ``max_bytes`` (None: no limit) of ``what``; ``hint`` says what to do instead."""

    max_bytes: int | None
    what: str = "Request bodies"
    hint: str = ""

    def refusal(self) -> PayloadTooLarge:
        hint = f" {self.hint}" if self.hint else ""
        return PayloadTooLarge(f"{self.what} are limited to {self.max_bytes} bytes.{hint}")


class BodyLimitMiddleware:
    """Applies ``limit`` to every request, or the limit of the first ``(prefix, limit)`` in
    ``by_path_prefix`` whose prefix starts the request's path."""

    def __init__(self, app: ASGIApp, limit: BodyLimit, by_path_prefix: Iterable[tuple[str, BodyLimit]] = ()) -> None:
        self.app = app
        self.limit = limit
        self.by_path_prefix = tuple(by_path_prefix)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((lim for prefix, lim in self.by_path_prefix if scope["path"].startswith(prefix)), self.limit)
        max_bytes = limit.max_bytes
        if max_bytes is None:
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
            await send_error(send, limit.refusal())
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise limit.refusal()
            return message

        await self.app(scope, limited_receive, send)
