"""The ``cairn`` command: read experiments, runs and artifacts from a terminal, run the registry,
serve models, start the server.

One module per command group (``runs``, ``models``, ``deployments``...), each thin by rule: a
command parses its options (the shared ones live in ``options``), calls ``Client``, and hands one
document built by ``views`` to ``output.emit``, which writes it as compact JSON (``--json``) or
draws it with ``render``. ``main`` maps failures to exit codes: 0 success, 1 a ``CairnError`` (one
``Error: ...`` line on stderr, no traceback), 2 wrong usage, 130 Ctrl-C; a closed pipe exits
quietly. Typer for parsing (Click underneath), Rich for tables.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cairn.cli import (
    artifacts,
    backup,
    datasets,
    db,
    deployments,
    diff,
    drift,
    experiments,
    imports,
    lineage,
    models,
    permissions,
    predictions,
    reproduce,
    retention,
    runs,
    serve,
    server,
    tokens,
    ui,
    users,
    webhooks,
)
from cairn.cli.options import CONTEXT_SETTINGS
from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.client.client import Client

DISTRIBUTION = "cairn-tracker"
_QUIET = logging.NullHandler()


class _Interrupted(Exception):
    pass


class _PipeClosed(Exception):
    pass


class _RootGroup(TyperGroup):
    # Click turns Ctrl-C into a silent exit 130 and a closed pipe into a bare exit; raising our own
    # markers lets main() print the one-line notice and keep a closed pipe quiet in one place.
    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise _PipeClosed() from None


app = typer.Typer(
    cls=_RootGroup, name="cairn", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False, context_settings=CONTEXT_SETTINGS,
    help="Cairn: track experiments and runs, and see what produced each result.\n\n"
         "\b\nExample:\n  cairn --tracking-uri ./.cairn runs list --experiment churn",
)
# The order here is the order `cairn --help` lists them in (commands first, then groups).
for _group in (experiments, runs, artifacts, models, webhooks, datasets, drift, diff, lineage, deployments,
               predictions, reproduce, retention, backup, serve, server, db, ui, users, tokens, permissions, imports):
    _group.register(app)


@dataclass
class _State:
    tracking_uri: str | None
    client: Client | None = None


def _version() -> str:
    # The installed distribution's version. `cairn.__version__` is not read: the package face sits
    # above the CLI in the layers, and the console script exists only once Cairn is installed.
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"cairn {_version()}\n")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    tracking_uri: Annotated[str | None, typer.Option(
        "--tracking-uri", envvar="CAIRN_TRACKING_URI", metavar="URI",
        help="Store to read: a folder, sqlite:///file.db, postgresql://user:password@host/db or "
             "http(s)://server (default: ./.cairn).")] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log details of failures (database, network) to stderr.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print Cairn's version and exit.")] = False,
) -> None:
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("cairn").addHandler(handler)
    ctx.obj = _State(tracking_uri)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cairn`` command and return its exit code (the console script's entry point)."""
    # Without a handler, Python's last-resort handler would print the store's log records (SQL,
    # driver errors) under the one-line error; they are shown with --verbose instead.
    logger = logging.getLogger("cairn")
    if _QUIET not in logger.handlers:
        logger.addHandler(_QUIET)
    try:
        result = typer.main.get_command(app).main(args=argv, prog_name="cairn", standalone_mode=False)
        sys.stdout.flush()
    except CairnError as exc:
        sys.stderr.write("Error: " + " ".join(exc.message.splitlines()) + "\n")
        return 1
    except typer.TyperException as exc:  # usage errors: Click's message and exit code 2
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            sys.stderr.write(f"Error: {exc.format_message()}\n")
        return exc.exit_code
    except (KeyboardInterrupt, _Interrupted, typer.Abort):
        sys.stderr.write("Interrupted.\n")
        return 130
    except (BrokenPipeError, _PipeClosed):
        # The reader went away (`cairn runs list | head`): stop writing, say nothing. Pointing
        # stdout at devnull keeps the interpreter's final flush from reporting the broken pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result if isinstance(result, int) else 0
