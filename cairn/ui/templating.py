"""Rendering a page: one Jinja2 environment (autoescaped), links relative to the app's base path.

Behind a reverse proxy the UI may live under a prefix (``/cairn/``): the base is the ASGI
``root_path`` (uvicorn's ``--root-path``) plus an ``X-Forwarded-Prefix`` header when it is a plain
path, and every link, form and asset URL in a template starts from it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .assets import Assets

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

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        base = base_path(request)
        html = self.env.get_template(template).render(
            base=base, asset=lambda name: f"{base}static/{self.assets.url_name(name)}",
            request=request, **context,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status, headers={"X-Content-Type-Options": "nosniff"})
