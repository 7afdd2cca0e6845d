"""Signing in to the web UI with a password, and out again; mounted only with ``--auth``.

* ``GET {base}login``: the form (user name, password, a CSRF token, and ``next``: where to go
  afterwards). A browser with a live session goes straight on to ``next``.
* ``POST {base}login``: the CSRF token is checked, then the password through the same
  ``Authenticator`` as the REST API's HTTP Basic sign-in: Argon2id, and the failed-login throttle
  per (user, address) and per address, counted in the store so every worker sees them. Right: a
  session starts (``cairn.auth.sessions``), its cookie is set (``cairn.web.session_cookie``) and the
  browser is sent on to ``next`` (303). Wrong: the form again, 401, with one message whether the
  name or the password was wrong. Throttled: the form again, 429 with ``Retry-After``.
* ``POST {base}logout``: the CSRF token is checked, the session ends in the store, the cookie is
  cleared, and the browser lands on the login page.

``next`` is followed only when it is a path of this UI (it starts with the UI's base): an absolute
URL, a scheme-relative ``//host`` path, a backslash or a control character sends the browser to
the UI's home instead, so the login page cannot be used to redirect anyone elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cairn.auth import sessions
from cairn.auth.authentication import Authenticator
from cairn.errors import CairnError, TooManyRequests
from cairn.web import csrf
from cairn.web.errors import headers_of
from cairn.web.session_cookie import (
    came_over_tls,
    clear_session_cookie,
    session_cookie_of,
    set_session_cookie,
)

from .actions_models import read_form
from .stores import stores_of
from .templating import Pages, base_path

LOGIN_PATH = "login"
LOGOUT_PATH = "logout"
NEXT_PARAM = "next"
MAX_NEXT_LENGTH = 2048
SIGNED_OUT = "Signed out."


def safe_next(candidate: str | None, base: str) -> str:
    """``candidate`` when it is a path of this UI (below ``base``), else ``base``."""
    if not candidate or len(candidate) > MAX_NEXT_LENGTH or not candidate.startswith(base):
        return base
    if candidate.startswith("//") or "\\" in candidate or any(ord(c) < 0x20 or ord(c) == 0x7F for c in candidate):
        return base
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or parts.path.rstrip("/") in (f"{base}{LOGIN_PATH}", f"{base}{LOGOUT_PATH}"):
        return base
    return candidate


class _Login:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self._authenticator: Authenticator | None = None

    def authenticator(self, request: Request) -> Authenticator:
        if self._authenticator is None:
            self._authenticator = Authenticator(stores_of(request).db)
        return self._authenticator

    def form(self, request: Request, next_path: str, *, status: int = 200, error: str | None = None,
             username: str = "", headers: dict[str, str] | None = None) -> Response:
        notice = SIGNED_OUT if request.query_params.get("signed_out") == "1" and error is None else None
        response = self.pages.render(request, "login.html", status=status, title="Sign in",
                                     csrf_token=csrf.token_for(request), next_path=next_path, error=error,
                                     notice=notice, username=username)
        response.headers.update(headers or {})
        return response

    async def show(self, request: Request) -> Response:
        base = base_path(request)
        next_path = safe_next(request.query_params.get(NEXT_PARAM), base)
        principal = await run_in_threadpool(sessions.session_principal, stores_of(request).db,
                                            session_cookie_of(request.scope))
        if principal is not None:
            return RedirectResponse(next_path, status_code=303)
        return self.form(request, next_path)

    async def sign_in(self, request: Request) -> Response:
        base = base_path(request)
        form: dict[str, str] = {}
        try:
            form = await read_form(request)
            next_path = safe_next(form.get(NEXT_PARAM), base)
            csrf.check(request, form.get(csrf.FIELD))
            username, password = form.get("username", ""), form.get("password", "")
            address = request.client.host if request.client else "unknown"
            principal = await run_in_threadpool(self.authenticator(request).sign_in_with_password,
                                                username, password, address)
            secret, _expires = await run_in_threadpool(sessions.start_session, stores_of(request).db, principal.user)
        except CairnError as exc:
            headers = headers_of(exc) if isinstance(exc, TooManyRequests) else {}  # no Basic dialog on a 401
            return self.form(request, safe_next(form.get(NEXT_PARAM), base), status=exc.http_status,
                             error=exc.message, username=form.get("username", ""), headers=headers)
        response = RedirectResponse(next_path, status_code=303)
        set_session_cookie(response, secret, path=base, max_age_s=sessions.SESSION_LIFETIME_MS // 1000,
                           secure=came_over_tls(request.scope))
        return response

    async def sign_out(self, request: Request) -> Response:
        base = base_path(request)
        try:
            form = await read_form(request)
            csrf.check(request, form.get(csrf.FIELD))
        except CairnError as exc:
            return self.pages.render(request, "error.html", status=exc.http_status, title="Error",
                                     message=exc.message)
        await run_in_threadpool(sessions.end_session, stores_of(request).db, session_cookie_of(request.scope))
        response = RedirectResponse(f"{base}{LOGIN_PATH}?signed_out=1", status_code=303)
        clear_session_cookie(response, path=base, secure=came_over_tls(request.scope))
        return response


def login_routes(pages: Pages) -> list[BaseRoute]:
    login = _Login(pages)
    return [
        Route(f"/{LOGIN_PATH}", login.show, methods=["GET"]),
        Route(f"/{LOGIN_PATH}", login.sign_in, methods=["POST"]),
        Route(f"/{LOGOUT_PATH}", login.sign_out, methods=["POST"]),
    ]
