"""``cairn artifacts``: list and download the files stored with a run.

Thin like the rest of the CLI: each command finds the run (``lookup``), calls ``Client`` and hands
one document to ``emit`` (compact JSON with ``--json``, drawn by ``render.artifacts`` otherwise).
Progress goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import CONTEXT_SETTINGS, ExperimentOption, JsonOption, RunArgument
from cairn.cli.output import client, emit
from cairn.cli.render import artifacts as render
from cairn.cli.views.artifacts import artifacts_view

artifacts_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Artifacts: files stored with a run.\n\n\b\nExample:\n  cairn artifacts list 3f2a9c model",
)
ArtifactPathArgument = Annotated[str, typer.Argument(
    metavar="PATH", help="Artifact path inside the run (default: the run's root).", show_default=False)]


@artifacts_app.command("list")
def list_artifacts(ctx: typer.Context, run: RunArgument, path: ArtifactPathArgument = "",
                   experiment: ExperimentOption = None, as_json: JsonOption = False) -> None:
    """List the files and folders directly under PATH in a run's artifacts.

    \b
    Example:
      cairn artifacts list 3f2a9c1b environment
    """
    c = client(ctx)
    found = lookup.resolve_run(c, run, experiment)
    files = c.list_artifacts(found.run_id, path)
    emit(artifacts_view(found.run_id, path, files), as_json, render.render_artifacts)


@artifacts_app.command("download")
def download_artifacts(
    ctx: typer.Context,
    run: RunArgument,
    path: ArtifactPathArgument = "",
    dest: Annotated[Path | None, typer.Option(
        "--dest", "-d", metavar="DIR", file_okay=False,
        help="Folder to download into, created if needed (default: a new temporary folder).")] = None,
    experiment: ExperimentOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a run's artifact file or folder and print where it was written.

    \b
    Example:
      cairn artifacts download 3f2a9c1b environment/requirements.txt --dest ./out
    """
    c = client(ctx)
    found = lookup.resolve_run(c, run, experiment)
    what = f"'{path}'" if path else "all artifacts"
    sys.stderr.write(f"Downloading {what} from run {found.run_id}...\n")
    local = c.download_artifacts(found.run_id, path, dst_path=dest)
    emit({"run_id": found.run_id, "path": path, "local_path": str(local)}, as_json, render.render_download)


def register(app: typer.Typer) -> None:
    """Add ``artifacts`` to the ``cairn`` command."""
    app.add_typer(artifacts_app, name="artifacts")
