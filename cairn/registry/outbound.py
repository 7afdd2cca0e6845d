"""Which URLs the registry may call: webhooks go to the public internet unless told otherwise.

A webhook target that resolves to a private, loopback, link-local (cloud metadata lives at
169.254.169.254) or otherwise non-public address is refused unless the webhook was registered
with ``allow_private``, so a registry user cannot make the server probe its own network (SSRF).
The check runs when the webhook is added and again before every delivery, since DNS answers change.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from cairn.errors import InvalidParameter

MAX_URL_LENGTH = 2000

Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidParameter(f"Webhook host '{host}' cannot be resolved ({exc}).") from None
    return sorted({str(info[4][0]) for info in infos})


def check_webhook_url(url: object, allow_private: bool, resolve: Resolver = resolve_host) -> str:
    """Return ``url`` if Cairn may POST to it, else raise ``InvalidParameter`` saying why."""
    host, port = _host_and_port(url)
    assert isinstance(url, str)
    if allow_private:
        return url
    for address in resolve(host, port):
        if not is_public_address(address):
            raise InvalidParameter(
                f"Webhook URL '{url}' resolves to the non-public address {address}; private, loopback and "
                "link-local targets are refused. Register it with allow_private (--allow-private) if that "
                "receiver is meant to be reached."
            )
    return url


def is_private_target(url: object, resolve: Resolver = resolve_host) -> bool:
    """Whether ``url`` (checked as by ``check_webhook_url``) resolves to any non-public address."""
    host, port = _host_and_port(url)
    return not all(is_public_address(address) for address in resolve(host, port))


def _host_and_port(url: object) -> tuple[str, int]:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidParameter(f"Webhook URL must be an http(s) URL of at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidParameter(f"Webhook URL '{url}' is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameter(f"Webhook URL '{url}' must start with http:// or https:// and name a host.")
    if parts.username or parts.password:
        raise InvalidParameter("Webhook URL must not carry credentials; the signature header authenticates Cairn.")
    return parts.hostname, port


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                or ip.is_unspecified or not ip.is_global)
