"""``cairn backup DEST`` and ``cairn restore SRC``: a consistent copy of the store, and bringing
one back into an empty store. Progress goes to stderr; the summary to stdout (``--json``: the
manifest)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from cairn.cli.options import JsonOption
from cairn.cli.output import emit
from cairn.cli.render.format import fmt_bytes, fmt_time
from cairn.web.version import cairn_version

_EVERY_FILES = 1000  # without a terminal, one progress line per this many files


class _Shown:
    """``Progress`` on stderr: a bar on a terminal, a line per stage and per 1000 files otherwise."""

    def __init__(self) -> None:
        self._console = Console(stderr=True, highlight=False)
        self._bar: Progress | None = None
        self._task: Any = None
        self._files = self._done = 0

    def stage(self, text: str) -> None:
        self._console.print(f"{text}...")

    def start(self, files: int, size: int) -> None:
        self._files, self._done = files, 0
        if self._console.is_terminal and files:
            self._bar = Progress(TextColumn("artifacts"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                 TimeRemainingColumn(), console=self._console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("copy", total=size)

    def advance(self, size: int) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=size)
        elif self._done % _EVERY_FILES == 0:
            self._console.print(f"  {self._done}/{self._files} files")

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _tracking_uri(ctx: typer.Context) -> str | None:
    return getattr(ctx.find_root().obj, "tracking_uri", None)


def backup(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="A new (or empty) folder for the backup.",
                                         show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Back the store up: one consistent snapshot of its metadata, then its artifacts.

    Safe while a server or training jobs write to the store. Point --tracking-uri at the store
    itself (a folder, sqlite:///... or postgresql://...; for a PostgreSQL store CAIRN_ARTIFACTS_ROOT
    names the artifact folder): a server's API cannot be backed up from afar.

    \b
    Example:
      cairn --tracking-uri ./.cairn backup /backups/cairn-2024-05-01
    """
    from cairn.client.backups import backup_store

    manifest = backup_store(dest, tracking_uri=_tracking_uri(ctx), cairn_version=cairn_version(), progress=_Shown())
    emit({"folder": str(dest), **dataclasses.asdict(manifest)}, as_json, _render("Backed up"))


def restore(
    ctx: typer.Context,
    src: Annotated[Path, typer.Argument(metavar="SRC", help="A folder written by `cairn backup`.",
                                        show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into an empty store (a new folder or an empty database).

    The backup's checksums and schema are checked first; a store that holds anything is refused.

    \b
    Example:
      cairn --tracking-uri ./restored restore /backups/cairn-2024-05-01
    """
    from cairn.client.backups import restore_store

    manifest = restore_store(src, tracking_uri=_tracking_uri(ctx), progress=_Shown())
    emit({"folder": str(src), **dataclasses.asdict(manifest)}, as_json, _render("Restored"))


def _render(verb: str):  # type: ignore[no-untyped-def]
    def draw(doc: Mapping[str, Any], console: Console) -> None:
        counts = doc["counts"]
        console.print(f"{verb} {doc['folder']}: {counts.get('experiments', 0)} experiments, "
                      f"{counts.get('runs', 0)} runs, {counts.get('metrics', 0)} metric points, "
                      f"{counts.get('model_versions', 0)} model versions, {doc['artifact_files']} artifact files "
                      f"({fmt_bytes(doc['artifact_bytes'])}).")
        console.print(f"Snapshot of {fmt_time(doc['created_time'])}, schema {doc['schema_revision']}, "
                      f"Cairn {doc['cairn_version']}.")
        if doc["skipped_files"] or doc["vanished_files"]:
            console.print(f"Left out {doc['skipped_files']} files of runs begun after the snapshot and "
                          f"{doc['vanished_files']} deleted while copying.")

    return draw


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the ``cairn`` command."""
    app.command("backup")(backup)
    app.command("restore")(restore)
