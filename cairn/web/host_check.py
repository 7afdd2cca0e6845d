"""Refusing requests a browser was tricked into making: DNS rebinding and CSRF.

``HostCheckMiddleware`` guards every HTTP app Cairn runs (the tracking server, ``cairn serve``
and the web UI). A browser tricked into talking to a local server sends the attacker's name in
``Host`` (rebinding) or the attacker's page in ``Origin`` (CSRF); both are refused with 403.
IP-literal hosts are always accepted: a rebinding attack needs a domain name. Plain ASGI, so it
sits in front of any Starlette app without importing either app's modules.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from cairn.errors import PermissionDenied

from .errors import send_error

_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOCAL_NAMES = ("localhost",)
_WILDCARD_BINDS = ("0.0.0.0", "::", "")


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case) in a raw ASGI scope."""
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
        host = header(scope, b"host")
        if host is not None and not self.any_host:
            name = host_name(host)
            if name not in self.hosts and not _is_ip_literal(name):
                await send_error(send, PermissionDenied(
                    f"Host '{name}' is not allowed. Start the server with --allowed-hosts {name} "
                    "if clients reach it under that name."
                ))  # fmt: skip
                return
        if scope["method"] in _STATE_CHANGING and not self.any_origin:
            origin = header(scope, b"origin")
            if origin is not None and not self._is_allowed_origin(origin, host):
                await send_error(send, PermissionDenied(
                    f"Cross-origin {scope['method']} from '{origin}' refused. Allow the origin with "
                    "--allowed-origins if a trusted web app needs it."
                ))  # fmt: skip
                return
        await self.app(scope, receive, send)

    def _is_allowed_origin(self, origin: str, host: str | None) -> bool:
        normalized = origin.rstrip("/").lower()
        if normalized in self.origins:
            return True
        parts = urlsplit(normalized)
        return bool(host) and parts.scheme in ("http", "https") and parts.netloc == (host or "").lower()
