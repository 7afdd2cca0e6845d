"""What the server's auth middleware answers on the web UI's routes (the route table's ``browser``
rules) when it cannot let a request through, so a person in a browser sees a page, not JSON or
the browser's HTTP Basic dialog:

* No credentials and no live session: a browser navigating (``Accept`` names ``text/html``) is
  sent to the login page, with ``next`` set to where it was going (303); an htmx request gets 401
  with ``HX-Redirect`` to the login page (htmx then loads it whole). Anything else (a script, a
  JSON twin) gets the REST API's 401 with ``WWW-Authenticate``.
* Signed in but refused (403, the grant is missing): a browser gets the HTML error page with the
  reason; a script or a JSON twin the API's JSON error.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from cairn.auth import sessions
from cairn.auth.principal import Principal
from cairn.errors import CairnError, Unauthenticated
from cairn.store.database import Database
from cairn.web.errors import error_response
from cairn.web.session_cookie import session_cookie_of

from .assets import Assets
from .json_twin import wants_json
from .login import LOGIN_PATH, NEXT_PARAM
from .templating import Pages, base_path

SIGN_IN_HINT = ("Sign in on the login page, or send HTTP Basic credentials (a password or an API token) as "
                "the REST API takes them.")


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not wants_json(request)


def _route_path(request: Request) -> str:
    """The path below the UI's base (the ASGI root path stripped)."""
    path, root = request.url.path, request.scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def return_path(request: Request) -> str:
    """Where the browser was going, as a path on this UI: the page it asked for, or for a form
    it posted, the page the form was on (its same-origin ``Referer``)."""
    base = base_path(request)
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        return base + _route_path(request).lstrip("/") + (f"?{query}" if query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.headers.get("host") and referer.path.startswith(base):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return base


def login_location(request: Request) -> str:
    return f"{base_path(request)}{LOGIN_PATH}?{NEXT_PARAM}={quote(return_path(request), safe='/')}"


class BrowserGate:
    """Session sign-in and browser-friendly refusals for the auth middleware (one per process)."""

    def __init__(self) -> None:
        self._pages: Pages | None = None

    def session_principal(self, db: Database, scope: Scope) -> Principal | None:
        """Who the request's session cookie signs in, if anyone (reads the store: call in a thread)."""
        return sessions.session_principal(db, session_cookie_of(scope))

    def sign_in_first(self, scope: Scope) -> Response:
        request = Request(scope)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": login_location(request)})
        if _wants_html(request):
            return RedirectResponse(login_location(request), status_code=303)
        return error_response(request, Unauthenticated(f"This server requires a sign-in. {SIGN_IN_HINT}"))

    def refusal(self, scope: Scope, error: CairnError) -> Response:
        request = Request(scope)
        if not _wants_html(request):
            return error_response(request, error)
        if self._pages is None:
            self._pages = Pages(Assets())
        return self._pages.render(request, "error.html", status=error.http_status, title="Not allowed",
                                  message=error.message)
