"""``cairn datasets``, ``cairn drift``, ``cairn diff`` and ``cairn lineage``: what data a run used,
how two datasets or two runs differ, and where a model came from.

Thin like the rest of the CLI: each command resolves what the user named, calls one ``Client``
method and hands its document to ``emit`` (compact JSON with ``--json``, Rich otherwise; drawn by
``cli_datasets_render``). Runs are named by id, id prefix or name; model versions as
``models:/NAME/VERSION`` (or ``@alias``, ``/Production``); datasets by digest, digest prefix or name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cairn import cli_datasets_render as render
from cairn import cli_lookup as lookup
from cairn.entities import ViewType
from cairn.errors import NotFound
from cairn.cli_output import client, emit

if TYPE_CHECKING:
    from cairn.client.client import Client

_SETTINGS = {"help_option_names": ["-h", "--help"]}
datasets_app = typer.Typer(
    no_args_is_help=True, context_settings=_SETTINGS,
    help="Datasets: what each run trained and validated on, by content digest.\n\n"
         "\b\nExample:\n  cairn datasets list --context training",
)

JsonOption = Annotated[bool, typer.Option("--json", help="Write one compact JSON document to stdout.")]
ExperimentOption = Annotated[str | None, typer.Option(
    "--experiment", "-e", metavar="NAME_OR_ID", help="Experiment to look for runs in (default: every experiment).")]
_EXPLICIT = ("run:", "dataset:")
_MODELS = "models:/"






def _run_or_model(c: Client, ref: str, experiment: str | None) -> str:
    """A run id for a run reference; ``models:/`` references pass through for the client."""
    if ref.startswith(_MODELS):
        return ref
    return lookup.resolve_run(c, ref.removeprefix("run:"), experiment).run_id


def _any_ref(c: Client, ref: str, experiment: str | None, paths: bool) -> str:
    """What ``drift`` and ``lineage`` pass on: a path, ``models:/``, ``dataset:REF``, or a run id
    when ``ref`` names a run (by id, prefix or name), else ``ref`` itself (a dataset)."""
    if ref.startswith(_MODELS) or ref.startswith("dataset:") or (paths and Path(ref).exists()):
        return ref
    try:
        return lookup.resolve_run(c, ref.removeprefix("run:"), experiment).run_id
    except NotFound:
        if ref.startswith("run:"):
            raise
        return ref


def dataset_row(record: Any) -> dict[str, Any]:
    """One dataset record as ``cairn datasets list`` shows it."""
    d = record.dataset
    return {"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": _json_or_text(d.source),
            "experiment_id": record.experiment_id, "run_count": record.run_count, "last_used": record.last_used,
            "contexts": list(record.contexts)}


def dataset_doc(record: Any, uses: list[Any]) -> dict[str, Any]:
    """``cairn datasets show``: the record, its schema and profile, and every run that used it."""
    return {
        "dataset": dataset_row(record),
        "schema": _json_or_text(record.dataset.schema),
        "profile": _json_or_text(record.dataset.profile),
        "runs": [{"run_id": u.run_id, "run_name": u.run_name, "experiment_id": u.experiment_id,
                  "context": u.context, "start_time": u.start_time, "status": u.status} for u in uses],
    }


def _json_or_text(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# datasets ------------------------------------------------------------------------------------
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


# drift, diff, lineage --------------------------------------------------------------------------
def drift(
    ctx: typer.Context,
    baseline: Annotated[str, typer.Argument(metavar="BASELINE", show_default=False, help=(
        "A dataset (digest, prefix or name), a run (its training dataset), models:/NAME@alias, or a "
        "Parquet/CSV path. Prefix run: or dataset: when a name is ambiguous."))],
    current: Annotated[str, typer.Argument(metavar="CURRENT", show_default=False, help="Same forms as BASELINE.")],
    experiment: ExperimentOption = None,
    psi: Annotated[float, typer.Option("--psi", min=0.0, help="PSI at which a feature counts as drifted.")] = 0.1,
    as_json: JsonOption = False,
) -> None:
    """Compare two datasets feature by feature: PSI and KS (numeric) or chi-square (categorical),
    new and missing columns, null rates; most severe first.

    \b
    Example:
      cairn drift models:/churn@production ./today.parquet
    """
    from cairn.datasets.drift import DriftThresholds, measure_drift

    c = client(ctx)
    base_label, base_profile = c.dataset_profile(_any_ref(c, baseline, experiment, paths=True))
    cur_label, cur_profile = c.dataset_profile(_any_ref(c, current, experiment, paths=True))
    limits = DriftThresholds(psi_moderate=psi, psi_major=max(psi, DriftThresholds().psi_major))
    report = measure_drift(base_profile, cur_profile, limits)
    emit({"baseline": base_label, "current": cur_label, **report.to_dict()}, as_json, render.render_drift)


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
    result = c.diff_runs(_run_or_model(c, a, experiment), _run_or_model(c, b, experiment), repo=repo, curves=curves)
    emit(result.to_dict(), as_json, render.render_diff)


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
    graph = c.lineage(_any_ref(c, ref, experiment, paths=False))
    if output == "dot":
        sys.stdout.write(graph.to_dot())
    elif output == "mermaid":
        sys.stdout.write(graph.to_mermaid())
    else:
        emit(graph.to_dict(), as_json, render.render_lineage)


def register(app: typer.Typer) -> None:
    """Add ``datasets``, ``drift``, ``diff`` and ``lineage`` to the ``cairn`` command."""
    app.add_typer(datasets_app, name="datasets")
    app.command("drift")(drift)
    app.command("diff")(diff)
    app.command("lineage")(lineage)
