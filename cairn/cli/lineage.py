"""``cairn lineage``: where a dataset, run or model version came from and what it fed.

Thin like the rest of the CLI: resolves what the user named, calls ``Client.lineage`` and writes
the graph as Graphviz dot, Mermaid, compact JSON (``--json``) or a tree (``render.lineage``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import ExperimentOption, JsonOption
from cairn.cli.output import client, emit
from cairn.cli.render import lineage as render


def lineage(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="REF", show_default=False, help=(
        "A dataset (digest, prefix or name), a run (id, prefix or name) or models:/NAME/VERSION."))],
    experiment: ExperimentOption = None,
    output: Annotated[str, typer.Option(
        "--format", metavar="tree|dot|mermaid", help="tree (terminal), dot (Graphviz) or mermaid.")] = "tree",
    as_json: JsonOption = False,
) -> None:
    """Where REF came from and what it fed: datasets, runs, commits, model versions and their stages.

    \b
    Example:
      cairn lineage models:/churn/Production --format mermaid
    """
    if output not in ("tree", "dot", "mermaid"):
        raise typer.BadParameter("choose tree, dot or mermaid.", param_hint="'--format'")
    if as_json and output != "tree":
        raise typer.BadParameter("use --json or --format, not both.", param_hint="'--format'")
    c = client(ctx)
    graph = c.lineage(lookup.any_ref(c, ref, experiment, paths=False))
    if output == "dot":
        sys.stdout.write(graph.to_dot())
    elif output == "mermaid":
        sys.stdout.write(graph.to_mermaid())
    else:
        emit(graph.to_dict(), as_json, render.render_lineage)


def register(app: typer.Typer) -> None:
    """Add ``lineage`` to the ``cairn`` command."""
    app.command("lineage")(lineage)
