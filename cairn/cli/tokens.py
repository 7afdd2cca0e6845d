"""``cairn tokens``: API tokens for CI and services (a server with ``--auth``).

Minting needs a password sign-in (``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD``),
never another token. The secret is printed once.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.options import CONTEXT_SETTINGS, JsonOption
from cairn.cli.output import auth_admin, emit
from cairn.cli.render import users as render
from cairn.cli.views.users import token_doc

tokens_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="API tokens: a secret for CI and services, with scopes and an expiry.\n\n"
         "\b\nExample:\n  cairn tokens create --name ci --scope read,write,registry:write --expires 90d",
)
OwnerOption = Annotated[str | None, typer.Option(
    "--user", "-u", metavar="NAME", help="Whose tokens (default: your own; another user's needs an admin).")]


@tokens_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. ci.", show_default=False)],
    scope: Annotated[str, typer.Option(
        "--scope", metavar="SCOPES",
        help="Comma-separated: read, write, registry:write, registry:approve, admin.", show_default=False)],
    expires: Annotated[str, typer.Option(
        "--expires", metavar="AGE", help="Lifetime, at most a year: 30d, 12w, 1y.", show_default=False)],
    user: OwnerOption = None, as_json: JsonOption = False,
) -> None:
    """Mint a token and print its secret once.

    \b
    Example:
      cairn tokens create --name ci --scope read,write,registry:write --expires 90d
      cairn tokens create --name deployer --scope read,registry:write --expires 30d --user ci-bot
    """
    token, secret = auth_admin(ctx).create_token(name, scope.split(","), expires, user)
    emit({"token": token_doc(token), "secret": secret}, as_json, render.render_created_token)


@tokens_app.command("list")
def list_tokens(
    ctx: typer.Context, user: OwnerOption = None,
    everyone: Annotated[bool, typer.Option("--all", help="Everyone's tokens (admins).")] = False,
    as_json: JsonOption = False,
) -> None:
    """List tokens: name, scopes, expiry, last use, revocation (never the secret).

    \b
    Example:
      cairn tokens list --all
    """
    found = auth_admin(ctx).list_tokens(user, everyone)
    emit({"tokens": [token_doc(t) for t in found]}, as_json, render.render_tokens)


@tokens_app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="Id from `cairn tokens list`.",
                                            show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Revoke a token at once (rotate: mint the new one, switch, then revoke the old).

    \b
    Example:
      cairn tokens revoke 3f2a9c1d0b8e7a65
    """
    token = auth_admin(ctx).revoke_token(token_id)
    emit({"token": token_doc(token)}, as_json,
         lambda doc, console: console.print(f"Revoked token {token.token_id} '{token.name}' of {token.username}."))


def register(app: typer.Typer) -> None:
    """Add ``tokens`` to the ``cairn`` command."""
    app.add_typer(tokens_app, name="tokens")
