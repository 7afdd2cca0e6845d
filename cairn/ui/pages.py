"""What every page handler shares: a domain error becomes an HTML error page with its status (or,
for a JSON twin, the API's JSON error)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from cairn.errors import CairnError
from cairn.web.errors import error_response

from .json_twin import wants_json
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
                if wants_json(request):
                    return error_response(request, exc)
                return pages.render(request, "error.html", status=exc.http_status,
                                    title="Error", message=exc.message)

        return endpoint

    return wrap
