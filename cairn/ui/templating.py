"""Rendering a page: one Jinja2 environment (autoescaped), links relative to the app's base path.

Behind a reverse proxy the UI may live under a prefix (``/cairn/``): the base is the ASGI
``root_path`` (uvicorn's ``--root-path``) plus an ``X-Forwarded-Prefix`` header when it is a plain
path, and every link, form and asset URL in a template starts from it.

``render`` also answers a page's JSON twin (``json_twin``) when asked and the handler gives one,
shows who is signed in (with a sign-out form when a session cookie signed them in), and sets the
CSRF cookie whenever the page put a token in a form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cairn.auth.principal import SESSION
from cairn.auth.request_actor import principal_of
from cairn.web import csrf
from cairn.web.session_cookie import came_over_tls

from .assets import Assets
from .json_twin import json_twin, wants_json

TEMPLATES = Path(__file__).parent / "templates"
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


def base_path(request: Request) -> str:
    """'/' or '/prefix/': where the UI's root is as the browser sees it."""
    root = request.scope.get("root_path", "").rstrip("/")
    forwarded = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    if forwarded and _PREFIX.match(forwarded) and not root.endswith(forwarded):
        root = forwarded + root
    return root + "/"


def format_time(ms: int | None) -> str:
    if not ms:  # MLflow's Default experiment reports time 0
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(start: int | None, end: int | None) -> str:
    if start is None or end is None:
        return "—"
    seconds = max(0, (end - start) // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s" if minutes else f"{secs}s"


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    value, unit = float(size), "B"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


class Pages:
    def __init__(self, assets: Assets) -> None:
        self.assets = assets
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
            trim_blocks=True, lstrip_blocks=True,
        )  # fmt: skip
        self.env.filters.update(time=format_time, value=format_value, filesize=format_size, quote=lambda s: quote(str(s), safe=""))
        self.env.globals.update(duration=format_duration, urlencode=urlencode)

    def render(self, request: Request, template: str, status: int = 200, twin: Any = None,
               **context: Any) -> Response:
        """The page, or its JSON twin (``twin``: the data it shows) when the request asks for it."""
        if twin is not None and wants_json(request):
            return json_twin(twin, status)
        base = base_path(request)
        principal = principal_of(request)
        signed_in = principal.username if principal is not None else None
        sign_out_token = csrf.token_for(request) if principal is not None and principal.method == SESSION else None
        html = self.env.get_template(template).render(
            base=base, asset=lambda name: f"{base}static/{self.assets.url_name(name)}",
            request=request, signed_in=signed_in, sign_out_token=sign_out_token, **context,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=status, headers={"X-Content-Type-Options": "nosniff"})
        token = csrf.issued_token(request)
        if token is not None:
            csrf.set_cookie(response, token, base, secure=came_over_tls(request.scope))
        return response
