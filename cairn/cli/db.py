"""``cairn db``: the store's schema revision: ``current``, ``check`` and ``upgrade``.

They work on the database the global ``--tracking-uri`` names (a folder, ``sqlite:///file.db`` or
``postgresql://...``), not through a server. Any Cairn upgrades an older store when it opens it
(and says so); these let an operator look first, fail a deployment script on a store that is not
at this Cairn's revision (``check`` exits 1), or upgrade before starting the server workers.
"""

from __future__ import annotations

import typer

from cairn.cli.options import CONTEXT_SETTINGS, JsonOption
from cairn.cli.output import emit
from cairn.errors import CairnError

db_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="The store's schema revision: show it, check it, upgrade it.\n\n"
         "\b\nExample:\n  cairn --tracking-uri postgresql://cairn@db.internal/cairn db upgrade",
)

_STATES = {
    "current": "at this Cairn's revision",
    "behind": "older than this Cairn: run `cairn db upgrade` (any Cairn command that opens it upgrades it too)",
    "newer": "newer than this Cairn: upgrade Cairn (pip install --upgrade cairn-tracker) to open it",
    "empty": "no schema yet: `cairn db upgrade` (or opening it) creates it",
}


def _tracking_uri(ctx: typer.Context) -> str | None:
    return getattr(ctx.find_root().obj, "tracking_uri", None)


def _say(text: str):  # type: ignore[no-untyped-def]
    return lambda doc, console: console.print(text, markup=False, soft_wrap=True)


@db_app.command("current")
def current(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the store's schema revision and this Cairn's.

    \b
    Example:
      cairn --tracking-uri ./.cairn db current
    """
    from cairn.client.store_schema import inspect_store_schema

    schema = inspect_store_schema(_tracking_uri(ctx))
    emit(schema.to_dict(), as_json, _say(f"{schema.store}: revision {schema.revision or 'none'} "
                                         f"(this Cairn: {schema.head}); {_STATES[schema.state]}."))


@db_app.command("check")
def check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Exit 0 if the store is at this Cairn's schema revision, else 1 saying what to run.

    \b
    Example:
      cairn --tracking-uri postgresql://cairn@db.internal/cairn db check && cairn server ...
    """
    from cairn.client.store_schema import CURRENT, inspect_store_schema

    schema = inspect_store_schema(_tracking_uri(ctx))
    if schema.state != CURRENT:
        if as_json:
            emit(schema.to_dict(), True, _say(""))
        raise CairnError(f"{schema.store} is at revision {schema.revision or 'none'}, this Cairn at "
                         f"{schema.head}: {_STATES[schema.state]}.")
    emit(schema.to_dict(), as_json, _say(f"{schema.store}: revision {schema.revision}, up to date."))


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Create or migrate the store to this Cairn's schema revision (once, however many run it).

    \b
    Example:
      cairn --tracking-uri postgresql://cairn@db.internal/cairn db upgrade
    """
    from cairn.client.store_schema import upgrade_store_schema

    done = upgrade_store_schema(_tracking_uri(ctx))
    if not done.changed:
        text = f"{done.store}: already at revision {done.to_revision}; nothing to do."
    elif done.from_revision is None:
        text = f"{done.store}: created at revision {done.to_revision}."
    else:
        text = f"{done.store}: upgraded from revision {done.from_revision} to {done.to_revision}."
    emit(done.to_dict(), as_json, _say(text))


def register(app: typer.Typer) -> None:
    """Add ``db`` to the ``cairn`` command."""
    app.add_typer(db_app, name="db")

