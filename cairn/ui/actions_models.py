"""The model page's actions: promote a version, roll back Production, approve or reject a pending
sign-off. Each goes through the same registry functions as the CLI and the REST API, as the same
actor (with ``--auth`` the signed-in user; a name typed in a form is never read).

Every action is a POST of an HTML form carrying a CSRF token (``cairn.web.csrf``). Promote and
rollback need a reason and a second, confirming POST: the first answers a page that restates the
change. A refusal (a failing gate, nothing to roll back to...) is shown on the model page with
the registry's message and status; a change that went through redirects to the model page
(POST/redirect/GET), so reloading it does not repeat the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cairn import registry
from cairn.auth.request_actor import actor_of
from cairn.entities import Actor
from cairn.errors import CairnError, InvalidParameter
from cairn.registry.model_files import ArtifactStoreModelFiles
from cairn.registry.validation import validate_text
from cairn.registry.webhook_delivery import wake_worker
from cairn.store.database import Database
from cairn.web import csrf

from .pages import Handler
from .pages_models import render_model
from .stores import stores_of
from .templating import Pages, base_path

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
CONFIRMED = "yes"

# What one action does, given the database, the request's form, its actor and the model files:
# the ``done`` notice to redirect with.
Action = Callable[[Database, str, dict[str, str], Actor, ArtifactStoreModelFiles], str]


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form (the last value of a repeated field); any other body reads as empty,
    so it carries no CSRF token and is refused."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidParameter(f"The form is over {MAX_FORM_BYTES} bytes.")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise InvalidParameter("The form is not UTF-8.") from exc
    return {key: values[-1] for key, values in parsed.items()}


def _promote(db: Database, name: str, form: dict[str, str], actor: Actor, files: ArtifactStoreModelFiles) -> str:
    outcome = registry.promote(db, name, form.get("version", ""), form.get("stage", ""), actor,
                               reason=form.get("reason"), model_files=files)
    return "promoted" if outcome.applied else "pending"


def _rollback(db: Database, name: str, form: dict[str, str], actor: Actor, files: ArtifactStoreModelFiles) -> str:
    registry.rollback(db, name, actor, form.get("reason", ""))
    return "rolled-back"


def _approve(db: Database, name: str, form: dict[str, str], actor: Actor, files: ArtifactStoreModelFiles) -> str:
    registry.approve_transition_request(db, name, form.get("version", ""), actor, form.get("comment") or None,
                                        model_files=files)
    return "approved"


def _reject(db: Database, name: str, form: dict[str, str], actor: Actor, files: ArtifactStoreModelFiles) -> str:
    registry.reject_transition_request(db, name, form.get("version", ""), actor, form.get("comment") or None)
    return "rejected"


# action name -> (what it does, whether it needs a reason and a confirming POST)
ACTIONS: dict[str, tuple[Action, bool]] = {
    "promote": (_promote, True),
    "rollback": (_rollback, True),
    "approve": (_approve, False),
    "reject": (_reject, False),
}


def action(pages: Pages, kind: str) -> Handler:
    run, confirms = ACTIONS[kind]

    async def handler(request: Request) -> Response:
        name = request.path_params["name"]
        form: dict[str, Any] = {}
        try:
            form = await read_form(request)
            csrf.check(request, form.get(csrf.FIELD))
            if confirms:
                validate_text("reason", form.get("reason"), required=True)
                if form.get("confirmed") != CONFIRMED:
                    return await render_model(pages, request, name, confirm={"action": kind, **form})
            stores = stores_of(request)
            done = await run_in_threadpool(run, stores.db, name, form, actor_of(request),
                                           ArtifactStoreModelFiles(stores.artifacts))
            wake_worker(request.app.state, stores.db)  # as the REST routes do
        except CairnError as exc:
            try:
                return await render_model(pages, request, name, status=exc.http_status, error=exc.message,
                                          error_code=exc.error_code, failed={"action": kind, **form})
            except CairnError:  # the model itself is gone or unreadable
                return pages.render(request, "error.html", status=exc.http_status, title="Error", message=exc.message)
        return RedirectResponse(f"{base_path(request)}models/{quote(name, safe='')}?done={done}#actions",
                                status_code=303)

    return handler


def action_routes(pages: Pages) -> list[tuple[str, Handler]]:
    return [(f"/models/{{name:path}}/{kind}", action(pages, kind)) for kind in ACTIONS]



