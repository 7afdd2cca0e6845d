"""``cairn users``: people and service accounts on a server with ``--auth``.

Against a server (``--tracking-uri http://...``) the commands sign in from the environment
(``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD``) and need an admin; against a store
(a folder or database URL) they change it directly, which is how the first admin is created:
there is no default user and no default password.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cairn.cli.options import CONTEXT_SETTINGS, JsonOption
from cairn.cli.output import auth_admin, emit
from cairn.cli.render import users as render
from cairn.cli.views.users import event_doc, user_doc
from cairn.errors import InvalidParameter

users_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Users and service accounts of a server with --auth.\n\n"
         "\b\nExample:\n  printf '%s\\n' \"$PASSWORD\" | cairn --tracking-uri ./.cairn users create-admin alice "
         "--password-stdin",
)
UsernameArgument = Annotated[str, typer.Argument(metavar="NAME", help="User name.", show_default=False)]
PasswordStdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of stdin (else prompt on a terminal).")]


def read_password(from_stdin: bool) -> str:
    """The password from stdin's first line, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n")
    if not sys.stdin.isatty():
        raise InvalidParameter("Give the password with --password-stdin (no terminal to prompt on).")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create-admin")
def create_admin(ctx: typer.Context, username: UsernameArgument, password_stdin: PasswordStdinOption = False,
                 as_json: JsonOption = False) -> None:
    """Create an admin directly in the store --tracking-uri names (the first admin, before or while
    a server runs on it).

    \b
    Example:
      printf '%s\\n' "$PASSWORD" | cairn --tracking-uri /srv/cairn users create-admin alice --password-stdin
    """
    uri = getattr(ctx.find_root().obj, "tracking_uri", None) or ""
    if uri.startswith(("http://", "https://")):
        raise InvalidParameter(
            "create-admin works on the store itself: point --tracking-uri at the server's store (a folder or "
            "database URL). To add an admin through a running server, use `cairn users create NAME --admin`."
        )
    user = auth_admin(ctx).create_user(username, read_password(password_stdin), is_admin=True)
    emit({"user": user_doc(user)}, as_json, lambda doc, console: console.print(f"Created admin {user.username}."))


@users_app.command("create")
def create(
    ctx: typer.Context, username: UsernameArgument, password_stdin: PasswordStdinOption = False,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    service: Annotated[bool, typer.Option(
        "--service", help="A service account: no password, signs in only with tokens an admin mints for it.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user (with a password) or a service account.

    \b
    Example:
      printf '%s\\n' "$PASSWORD" | cairn users create bob --password-stdin
      cairn users create ci-bot --service
    """
    password = None if service else read_password(password_stdin)
    user = auth_admin(ctx).create_user(username, password, is_admin=admin, is_service=service)
    emit({"user": user_doc(user)}, as_json,
         lambda doc, console: console.print(f"Created {'service account' if service else 'user'} {user.username}."))


@users_app.command("list")
def list_users(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List users and service accounts.

    \b
    Example:
      cairn users list --json
    """
    emit({"users": [user_doc(u) for u in auth_admin(ctx).list_users()]}, as_json, render.render_users)


@users_app.command("show")
def show(ctx: typer.Context, username: UsernameArgument, as_json: JsonOption = False) -> None:
    """A user and the permissions they hold.

    \b
    Example:
      cairn users show bob
    """
    emit({"user": user_doc(auth_admin(ctx).get_user(username))}, as_json, render.render_user)


@users_app.command("set-password")
def set_password(ctx: typer.Context, username: UsernameArgument, password_stdin: PasswordStdinOption = False,
                 as_json: JsonOption = False) -> None:
    """Set a user's password (your own: the server checks your current one, from the environment).

    \b
    Example:
      printf '%s\\n' "$NEW_PASSWORD" | cairn users set-password bob --password-stdin
    """
    auth_admin(ctx).set_password(username, read_password(password_stdin))
    emit({"username": username, "password_changed": True}, as_json,
         lambda doc, console: console.print(f"Changed the password of {username}."))


@users_app.command("set-admin")
def set_admin(
    ctx: typer.Context, username: UsernameArgument,
    revoke: Annotated[bool, typer.Option("--revoke", help="Take admin rights away instead.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Make a user an admin (or, with --revoke, no longer one).

    \b
    Example:
      cairn users set-admin bob
    """
    auth_admin(ctx).set_admin(username, not revoke)
    emit({"username": username, "is_admin": not revoke}, as_json,
         lambda doc, console: console.print(f"{username} is {'no longer ' if revoke else ''}an admin."))


@users_app.command("delete")
def delete(ctx: typer.Context, username: UsernameArgument, as_json: JsonOption = False) -> None:
    """Delete a user with their permissions and tokens.

    \b
    Example:
      cairn users delete bob
    """
    auth_admin(ctx).delete_user(username)
    emit({"username": username, "deleted": True}, as_json,
         lambda doc, console: console.print(f"Deleted user {username}."))


@users_app.command("log")
def log(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="Show the last N changes.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """The auth log: who created, changed or deleted users, tokens and permissions (no secrets).

    \b
    Example:
      cairn users log --limit 20
    """
    emit({"events": [event_doc(e) for e in auth_admin(ctx).list_events(limit)]}, as_json, render.render_events)


def register(app: typer.Typer) -> None:
    """Add ``users`` to the ``cairn`` command."""
    app.add_typer(users_app, name="users")
