"""``cairn datasets``: what data each run used, by content digest.

Thin like the rest of the CLI: each command calls one ``Client`` method and hands a document from
``views.datasets`` to ``emit`` (compact JSON with ``--json``, drawn by ``render.datasets``
otherwise). Datasets are named by digest, digest prefix or name.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import CONTEXT_SETTINGS, ExperimentOption, JsonOption
from cairn.cli.output import client, emit
from cairn.cli.render import datasets as render
from cairn.cli.views.datasets import dataset_doc, dataset_row
from cairn.entities import ViewType

datasets_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Datasets: what each run trained and validated on, by content digest.\n\n"
         "\b\nExample:\n  cairn datasets list --context training",
)


@datasets_app.command("list")
def list_datasets(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Only datasets with this name.")] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="Only this digest (or digest prefix).")] = None,
    context: Annotated[str | None, typer.Option(
        "--context", "-c", help="Only datasets some run used in this context (training, validation...).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only datasets whose source contains this text.")] = None,
    experiment: ExperimentOption = None,
    max_results: Annotated[int, typer.Option("--max", "-n", min=1, max=1000, help="Show at most N datasets.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List datasets, most recently used first, with the runs and contexts that used them.

    \b
    Example:
      cairn datasets list --name churn-train --json
    """
    c = client(ctx)
    experiments = list(lookup.experiments_for(c, experiment, ViewType.ALL)) if experiment else None
    records = c.search_datasets(name, digest, context, source, experiments, max_results)
    emit({"datasets": [dataset_row(r) for r in records]}, as_json, render.render_datasets)


@datasets_app.command("show")
def show_dataset(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="DATASET", show_default=False,
                                       help="Digest, digest prefix (6+ characters), name, or NAME@DIGEST_PREFIX.")],
    as_json: JsonOption = False,
) -> None:
    """Show a dataset: source, schema, per-feature profile, and the runs that used it.

    \b
    Example:
      cairn datasets show churn-train
    """
    c = client(ctx)
    record = c.get_dataset(ref)
    uses = c.list_dataset_runs(record.dataset.digest)
    emit(dataset_doc(record, uses), as_json, render.render_dataset)


def register(app: typer.Typer) -> None:
    """Add ``datasets`` to the ``cairn`` command."""
    app.add_typer(datasets_app, name="datasets")
