"""What every `cairn` command shares: its ``Client`` (one per invocation, from the root's
``--tracking-uri``), the ``AuthAdmin`` the user, token and permission commands use, and ``emit``
(one compact JSON document, or a Rich drawing for a person)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.auth.admin import AuthAdmin
    from cairn.client.client import Client


def client(ctx: typer.Context) -> Client:
    """The command's ``Client``, shared through the root command's state and closed with it."""
    from cairn.client.client import Client

    root = ctx.find_root()
    state = root.obj
    found: Client | None = getattr(state, "client", None)
    if found is None:
        found = Client(tracking_uri=getattr(state, "tracking_uri", None))
        if state is not None:
            state.client = found
        root.call_on_close(found.close)
    return found


def auth_admin(ctx: typer.Context) -> AuthAdmin:
    """Users, tokens and permissions of the root's ``--tracking-uri``: a server's API, or the
    store itself; closed with the command."""
    from cairn.auth.admin import auth_admin_for

    root = ctx.find_root()
    found = auth_admin_for(getattr(root.obj, "tracking_uri", None))
    root.call_on_close(found.close)
    return found


def emit(doc: dict[str, Any], as_json: bool, draw: Callable[[dict[str, Any], Console], None]) -> None:
    """Write ``doc`` as one compact JSON line, or draw it for a person."""
    if as_json:
        # NaN and infinities as "NaN"/"Infinity"/"-Infinity", as the server writes them: strict
        # JSON parsers refuse the bare tokens Python's json would write.
        from cairn.web.json_floats import quote_non_finite

        text = json.dumps(quote_non_finite(doc), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        sys.stdout.write(text + "\n")
    else:
        from rich.console import Console

        draw(doc, Console(highlight=False))
