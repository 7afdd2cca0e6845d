"""``cairn diff``: what changed between two runs (or the source runs of two model versions).

Thin like the rest of the CLI: resolves the two runs, calls ``Client.diff_runs`` and hands its
document to ``emit`` (compact JSON with ``--json``, drawn by ``render.diff`` otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import ExperimentOption, JsonOption
from cairn.cli.output import client, emit
from cairn.cli.render import diff as render


def diff(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(metavar="A", show_default=False,
                                     help="The earlier run (id, id prefix or name) or models:/NAME/VERSION.")],
    b: Annotated[str, typer.Argument(metavar="B", show_default=False, help="The later run, same forms as A.")],
    experiment: ExperimentOption = None,
    repo: Annotated[Path | None, typer.Option(
        "--repo", metavar="DIR", file_okay=False, help="Git checkout for `git log A..B` (default: here).")] = None,
    curves: Annotated[bool, typer.Option("--curves/--no-curves", help="Summarize metric curves.")] = True,
    as_json: JsonOption = False,
) -> None:
    """What changed between two runs: params, metrics, code, data, environment and seeds.

    \b
    Example:
      cairn diff 3f2a9c1b 8e41d07a
    """
    c = client(ctx)
    result = c.diff_runs(lookup.run_or_model(c, a, experiment), lookup.run_or_model(c, b, experiment),
                         repo=repo, curves=curves)
    emit(result.to_dict(), as_json, render.render_diff)


def register(app: typer.Typer) -> None:
    """Add ``diff`` to the ``cairn`` command."""
    app.command("diff")(diff)
