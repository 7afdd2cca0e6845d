"""What every page handler shares: a domain error becomes an HTML error page with its status."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import CairnError

from .templating import Pages

Handler = Callable[[Request], Awaitable[Response]]
log = logging.getLogger("cairn.ui")


def page(pages: Pages) -> Callable[[Handler], Handler]:
    """Wrap a handler so a ``CairnError`` (unknown run, bad filter...) renders the error page."""

    def wrap(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except CairnError as exc:
                return pages.render(request, "error.html", status=exc.http_status,
                                    title="Error", message=exc.message)

        return endpoint

    return wrap
