"""ASGI middleware that refuses requests before any handler runs.

``HostCheckMiddleware``: DNS rebinding and CSRF. A browser tricked into talking to this server
sends the attacker's name in ``Host`` (rebinding) or the attacker's page in ``Origin`` (CSRF);
both are refused with 403. IP-literal hosts are always accepted: a rebinding attack needs a
domain name.

``BodyLimitMiddleware``: request bodies above a limit get 413 without being read whole: at once
when ``Content-Length`` says so, else as soon as the streamed byte count passes the limit.
Artifact uploads have their own (by default no) limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import HTTP_403_FORBIDDEN, CairnError, PayloadTooLarge, PermissionDenied

from .wire import encode_json

ARTIFACT_PATH_PREFIXES = ("/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/")
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOCAL_NAMES = ("localhost",)
_WILDCARD_BINDS = ("0.0.0.0", "::", "")


async def send_error(send: Send, error: CairnError, status: int | None = None) -> None:
    body = encode_json(error.to_wire())
    await send({
        "type": "http.response.start",
        "status": status or error.http_status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def host_name(host_header: str) -> str:
    """'example.com:5000' -> 'example.com', '[::1]:5000' -> '::1'."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    name, sep, port = text.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else text


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheckMiddleware:
    def __init__(self, app: ASGIApp, bind_host: str, allowed_hosts: Iterable[str] = (),
                 allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        extra = [h.lower() for h in allowed_hosts]
        self.any_host = "*" in extra
        self.hosts = frozenset([*_LOCAL_NAMES, *extra] + ([] if bind_host in _WILDCARD_BINDS else [bind_host.lower()]))
        origins = [o.rstrip("/").lower() for o in allowed_origins]
        self.any_origin = "*" in origins
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if host is not None and not self.any_host:
            name = host_name(host)
            if name not in self.hosts and not _is_ip_literal(name):
                await send_error(send, PermissionDenied(
                    f"Host '{name}' is not allowed. Start the server with --allowed-hosts {name} "
                    "if clients reach it under that name."
                ))  # fmt: skip
                return
        if scope["method"] in _STATE_CHANGING and not self.any_origin:
            origin = _header(scope, b"origin")
            if origin is not None and not self._is_allowed_origin(origin, host):
                await send_error(send, PermissionDenied(
                    f"Cross-origin {scope['method']} from '{origin}' refused. Allow the origin with "
                    "--allowed-origins if a trusted web app needs it."
                ), HTTP_403_FORBIDDEN)  # fmt: skip
                return
        await self.app(scope, receive, send)

    def _is_allowed_origin(self, origin: str, host: str | None) -> bool:
        normalized = origin.rstrip("/").lower()
        if normalized in self.origins:
            return True
        parts = urlsplit(normalized)
        return bool(host) and parts.scheme in ("http", "https") and parts.netloc == (host or "").lower()


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_artifact_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_artifact_bytes = max_artifact_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_artifact = scope["path"].startswith(ARTIFACT_PATH_PREFIXES)
        limit = self.max_artifact_bytes if is_artifact else self.max_body_bytes
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await send_error(send, _too_large(limit, is_artifact))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit, is_artifact)
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int, is_artifact: bool) -> PayloadTooLarge:
    what = "Artifact uploads" if is_artifact else "Request bodies"
    hint = "" if is_artifact else (
        " Split large batches (log-batch takes at most 1000 metrics) or upload files as artifacts."
    )
    return PayloadTooLarge(f"{what} are limited to {limit} bytes.{hint}")
