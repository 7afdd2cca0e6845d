"""CSRF tokens for HTML forms: a signed double-submit token.

A page that holds a form sets an HttpOnly, SameSite=Strict cookie with a token and puts the same
token in a hidden field; a state-changing POST must carry both, equal (compared in constant time)
and signed by the server's key, or it is refused with 403 PERMISSION_DENIED. Another site can
neither read the cookie nor set one with a valid signature. ``HostCheckMiddleware`` refuses
cross-origin POSTs before they get here; the token also covers browsers that send no ``Origin``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import PermissionDenied

COOKIE = "cairn_csrf"
FIELD = "csrf_token"
NONCE_BYTES = 24
# The signing key: from ENV_KEY, which `cairn server` sets once for all its worker processes (so a
# form rendered by one worker posts to another), else one per process. A restart makes open forms
# ask to reload the page.
ENV_KEY = "CAIRN_CSRF_KEY"
KEY_BYTES = 32
_ISSUED = "cairn_csrf_token"


def shared_key_env() -> dict[str, str]:
    """What a server puts in its workers' environment so they all sign with one key."""
    return {ENV_KEY: os.environ.get(ENV_KEY) or secrets.token_hex(KEY_BYTES)}


def _key() -> bytes:
    given = os.environ.get(ENV_KEY, "")
    try:
        return bytes.fromhex(given) if len(given) >= 2 * KEY_BYTES else secrets.token_bytes(KEY_BYTES)
    except ValueError:
        return secrets.token_bytes(KEY_BYTES)


_KEY = _key()


def _signature(nonce: str) -> str:
    return hmac.new(_KEY, nonce.encode(), hashlib.sha256).hexdigest()


def _is_signed(token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _signature(nonce))


def token_for(request: Request) -> str:
    """The token a page puts in its forms: the cookie's when it is valid, else a new one; the
    same one however often a request asks (``issued_token`` gives it back for the cookie)."""
    issued: str | None = getattr(request.state, _ISSUED, None)
    if issued is not None:
        return issued
    current = request.cookies.get(COOKIE, "")
    if current and _is_signed(current):
        token = current
    else:
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        token = f"{nonce}.{_signature(nonce)}"
    setattr(request.state, _ISSUED, token)
    return token


def issued_token(request: Request) -> str | None:
    """The token ``token_for`` gave this request's forms, if it was asked: the cookie to set."""
    issued: str | None = getattr(request.state, _ISSUED, None)
    return issued


def set_cookie(response: Response, token: str, path: str, secure: bool) -> None:
    """``secure`` when the page came over HTTPS (a plain-HTTP localhost server must work too)."""
    response.set_cookie(COOKIE, token, path=path, httponly=True, samesite="strict", secure=secure)


def check(request: Request, submitted: str | None) -> None:
    """Refuse the request unless the form's token equals the cookie's and is signed here."""
    cookie = request.cookies.get(COOKIE, "")
    if not submitted or not cookie or not hmac.compare_digest(submitted.encode(), cookie.encode()) \
            or not _is_signed(cookie):
        raise PermissionDenied("The form's CSRF token is missing or wrong. Reload the page and submit it again.")
