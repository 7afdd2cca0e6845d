"""``cairn permissions``: who may read, edit, manage or approve which experiment or model.

Levels: READ, EDIT, MANAGE, and APPROVE (per model: signing off a transition another user
requested; EDIT, MANAGE and admin rights do not include it).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.options import CONTEXT_SETTINGS, JsonOption
from cairn.cli.output import auth_admin, emit
from cairn.cli.render import users as render
from cairn.cli.views.users import grant_doc
from cairn.errors import InvalidParameter

permissions_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Permissions per experiment and registered model: READ, EDIT, MANAGE, APPROVE.\n\n"
         "\b\nExample:\n  cairn permissions grant carol --model churn --permission APPROVE",
)
UserArgument = Annotated[str, typer.Argument(metavar="USER", help="User name.", show_default=False)]
ExperimentOption = Annotated[str | None, typer.Option("--experiment", "-e", metavar="ID", help="Experiment id.")]
ModelOption = Annotated[str | None, typer.Option("--model", "-m", metavar="NAME", help="Registered model name.")]


def _resource(experiment: str | None, model: str | None) -> tuple[str, str]:
    if (experiment is None) == (model is None):
        raise InvalidParameter("Name one resource: --experiment ID or --model NAME.")
    return ("experiment", experiment) if experiment is not None else ("registered_model", str(model))


@permissions_app.command("grant")
def grant(
    ctx: typer.Context, user: UserArgument, experiment: ExperimentOption = None, model: ModelOption = None,
    permission: Annotated[str, typer.Option(
        "--permission", "-p", metavar="LEVEL", help="READ, EDIT, MANAGE or APPROVE.", show_default=False)] = "",
    as_json: JsonOption = False,
) -> None:
    """Give a user a permission on an experiment or model (replacing the one they had).

    \b
    Example:
      cairn permissions grant bob --experiment 3 --permission EDIT
    """
    resource_type, resource = _resource(experiment, model)
    auth_admin(ctx).grant(resource_type, resource, user, permission)
    doc = {"resource_type": resource_type, "resource": resource, "username": user, "permission": permission.upper()}
    emit(doc, as_json, lambda d, console: console.print(
        f"{user} now has {d['permission']} on {resource_type.replace('_', ' ')} {resource}."))


@permissions_app.command("revoke")
def revoke(ctx: typer.Context, user: UserArgument, experiment: ExperimentOption = None, model: ModelOption = None,
           as_json: JsonOption = False) -> None:
    """Take a user's permission on an experiment or model away.

    \b
    Example:
      cairn permissions revoke bob --model churn
    """
    resource_type, resource = _resource(experiment, model)
    auth_admin(ctx).revoke(resource_type, resource, user)
    emit({"resource_type": resource_type, "resource": resource, "username": user, "revoked": True}, as_json,
         lambda d, console: console.print(f"{user} no longer has a permission on {resource}."))


@permissions_app.command("list")
def list_permissions(ctx: typer.Context, user: UserArgument, as_json: JsonOption = False) -> None:
    """The permissions a user holds.

    \b
    Example:
      cairn permissions list bob --json
    """
    found = auth_admin(ctx).get_user(user)
    emit({"permissions": [grant_doc(g) for g in found.permissions]}, as_json, render.render_grants)


def register(app: typer.Typer) -> None:
    """Add ``permissions`` to the ``cairn`` command."""
    app.add_typer(permissions_app, name="permissions")
