"""The web UI's session cookie as HTTP carries it: its name, its flags, and reading it back.

* ``HttpOnly``: no script in a page ever sees it.
* ``SameSite=Strict``: a request another site starts (a link, a form, an image) carries none.
* ``Path``: the UI's base, so behind a proxy it goes only to this Cairn's paths.
* ``Max-Age``: the session's lifetime; the server ends it then too.
* ``Secure`` when the request came over TLS (``came_over_tls``).

What the cookie stands for (a row in the store) is ``cairn.auth.sessions``' business; this module
only moves an opaque value in and out of headers.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import Scope

SESSION_COOKIE = "cairn_session"


def came_over_tls(scope: Scope) -> bool:
    """Whether the browser reached us over HTTPS: the ASGI scheme says so, or a proxy in front says
    so in ``X-Forwarded-Proto``. The server trusts no proxy for the client's address or scheme
    (uvicorn runs with ``proxy_headers=False``); the header is read here only because it can do no
    harm: it can only add ``Secure``, and a client that lies about it keeps its own cookie off
    plain HTTP, nothing more."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    forwarded = HTTPConnection(scope).headers.get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def session_cookie_of(scope: Scope) -> str | None:
    return HTTPConnection(scope).cookies.get(SESSION_COOKIE) or None


def set_session_cookie(response: Response, value: str, *, path: str, max_age_s: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=max_age_s, path=path, httponly=True, samesite="strict",
                        secure=secure)


def clear_session_cookie(response: Response, *, path: str, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path=path, httponly=True, samesite="strict", secure=secure)
