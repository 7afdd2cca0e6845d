"""``cairn import mlflow``: move an MLflow store's history into the store ``--tracking-uri`` names.

Thin like the rest of the CLI: opens the source (``importer.source``), hands it with the
``Client``'s backend to ``importer.copying``, draws a progress bar on stderr while it runs, and
prints the summary (``views.imports``, ``render.imports``). A source that cannot be read (a
missing file, a database that is not MLflow's, an unreachable server) is a usage error: one
line, exit code 2, nothing written. Items that failed leave the exit code at 1; running the same
command again copies only what is missing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Annotated

import typer

from cairn.cli.options import CONTEXT_SETTINGS, JsonOption, UserOption
from cairn.cli.output import client, emit
from cairn.cli.render import imports as render
from cairn.cli.views.imports import summary_doc
from cairn.errors import CairnError

import_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Bring history from another tracker: runs, metrics, artifacts, models and the registry.\n\n"
         "\b\nExample:\n  cairn --tracking-uri http://cairn:5000 import mlflow --from-server http://mlflow:5000",
)


class UnreadableSource(typer.TyperException):
    """The source named on the command line cannot be read: a usage error (exit code 2)."""

    exit_code = 2


@import_app.command("mlflow")
def import_mlflow(
    ctx: typer.Context,
    from_uri: Annotated[str | None, typer.Option(
        "--from", metavar="URI", help="MLflow's backend store: sqlite:///mlflow.db or postgresql://user@host/db.")]
    = None,
    artifacts: Annotated[str | None, typer.Option(
        "--artifacts", metavar="FOLDER_OR_S3", help="With --from: where that MLflow server keeps artifacts (its "
        "--artifacts-destination), a folder or s3://bucket/prefix.")] = None,
    from_server: Annotated[str | None, typer.Option(
        "--from-server", metavar="URL", help="A running MLflow server to read through its REST API instead.")]
    = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy experiments, runs (params, full metric histories, tags, datasets, files), logged
    models and the model registry (versions, stages, aliases, tags) from MLflow, keeping run ids,
    so runs:/<id>/... URIs keep working. Safe to run again: it copies only what is new, and
    finishes what an interrupted run left half done. The registry's present state becomes the
    first events of each model's audit trail, marked as imported.

    \b
    Example:
      cairn import mlflow --from sqlite:///mlflow.db --artifacts ./mlartifacts
      cairn --tracking-uri http://cairn:5000 import mlflow --from-server http://mlflow:5000
    """
    from cairn.client.tracking_uri import get_tracking_uri
    from cairn.client.users import actor_of
    from cairn.importer.copying import import_mlflow as copy_store
    from cairn.importer.source import open_source

    try:
        source = open_source(from_uri, from_server, artifacts)
    except CairnError as exc:
        raise UnreadableSource(" ".join(exc.message.split())) from None
    try:
        backend = client(ctx).backend
        with _ProgressBar() as progress:
            summary = copy_store(source, backend, actor_of(user), progress)
    finally:
        source.close()
    target = getattr(ctx.find_root().obj, "tracking_uri", None) or get_tracking_uri()
    emit(summary_doc(summary, source.label, target), as_json, render.render_summary)
    if summary.failure_count:
        raise CairnError(f"{summary.failure_count} item(s) could not be copied (listed above); fix the cause and run "
                         "the same command again: what was copied stays, the rest is retried.")


class _ProgressBar:
    """A Rich progress bar on stderr, one line per phase (experiments, logged models, runs,
    registered models)."""

    def __enter__(self) -> _ProgressBar:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True))
        self._tasks: dict[str, object] = {}
        self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._bar.stop()

    def start(self, phase: str, total: int | None) -> None:
        self._tasks[phase] = self._bar.add_task(phase, total=total)

    def advance(self, phase: str) -> None:
        self._bar.advance(self._tasks[phase])  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Add ``import`` to the ``cairn`` command."""
    app.add_typer(import_app, name="import")
