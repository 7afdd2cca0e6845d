"""``cairn reproduce REF`` and ``cairn runs branch RUN``: re-run a run from what it recorded (code,
environment, data, seed), then print ``cairn diff ORIGINAL NEW`` and the verdict.

Thin like the rest of the CLI: finds the run (``lookup``), calls ``cairn.client.reproduce`` with a
progress printer on stderr, and hands its document to ``emit`` (``render.reproduce`` draws it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cairn.cli import lookup
from cairn.cli.options import ExperimentOption, JsonOption
from cairn.cli.output import client, emit
from cairn.cli.render import reproduce as render

EnvManagerOption = Annotated[str, typer.Option(
    "--env-manager", metavar="venv|local",
    help="venv: a virtual environment built from the run's recorded requirements (cached); "
         "local: this interpreter as it is.")]
PythonOption = Annotated[str | None, typer.Option(
    "--python", metavar="PATH", help="Interpreter to build the venv from (default: this one's Python).")]
RepoOption = Annotated[Path | None, typer.Option(
    "--repo", metavar="DIR", file_okay=False, help="Git checkout holding the recorded commit (default: here).")]
AllowDataOption = Annotated[bool, typer.Option(
    "--allow-data-change", help="Re-run even when a recorded dataset changed (warn instead of stopping).")]
DryRunOption = Annotated[bool, typer.Option(
    "--dry-run", help="Print the plan (commit, patch size, packages, datasets, command); run nothing.")]
KeepOption = Annotated[bool, typer.Option("--keep", help="Keep the rebuilt checkout (its path is printed).")]


def reproduce(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(
        metavar="REF", show_default=False,
        help="A run (id, id prefix or name), models:/NAME/VERSION, models:/NAME@alias or models:/NAME/Production.")],
    experiment: ExperimentOption = None,
    env_manager: EnvManagerOption = "venv",
    python: PythonOption = None,
    repo: RepoOption = None,
    allow_data_change: AllowDataOption = False,
    rtol: Annotated[float, typer.Option(
        "--rtol", min=0.0, help="Relative tolerance for 'equivalent' metrics.")] = 1e-6,
    dry_run: DryRunOption = False,
    keep: KeepOption = False,
    as_json: JsonOption = False,
) -> None:
    """Re-run a run (or a model version's source run) from its recorded commit and patch, pinned
    environment, data and seed, as a new run tagged cairn.reproduces; then compare the two runs and
    say whether the result is identical, equivalent (within --rtol) or different, and why.

    \b
    Example:
      cairn reproduce models:/churn/Production --env-manager local
    """
    _rerun(ctx, ref, experiment, env_manager, python, repo, allow_data_change, rtol, dry_run, keep, as_json,
           params=None, name=None)


def branch(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(metavar="RUN", show_default=False,
                                       help="The run to branch from: id, id prefix, name or models:/... .")],
    param: Annotated[list[str], typer.Option(
        "--param", "-p", metavar="KEY=VALUE", show_default=False,
        help="A parameter to change (repeat); it must be on the run's command line as --KEY VALUE.")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the new run.")] = None,
    experiment: ExperimentOption = None,
    env_manager: EnvManagerOption = "venv",
    python: PythonOption = None,
    repo: RepoOption = None,
    allow_data_change: AllowDataOption = False,
    dry_run: DryRunOption = False,
    keep: KeepOption = False,
    as_json: JsonOption = False,
) -> None:
    """Start a speculative experiment: re-run a run's code state, environment and data with some
    parameters changed, as a new run tagged cairn.branched_from (a child of the original in lineage).

    \b
    Example:
      cairn runs branch 3f2a9c1b --param learning_rate=0.05 --name lr-half --env-manager local
    """
    from cairn.client.reproduce import parse_param_assignments

    _rerun(ctx, run, experiment, env_manager, python, repo, allow_data_change, 1e-6, dry_run, keep, as_json,
           params=parse_param_assignments(param), name=name)


def _rerun(ctx: typer.Context, ref: str, experiment: str | None, env_manager: str, python: str | None,
           repo: Path | None, allow_data_change: bool, rtol: float, dry_run: bool, keep: bool, as_json: bool,
           params: dict[str, str] | None, name: str | None) -> None:
    from cairn.client.reproduce import plan_rerun
    from cairn.client.reproduce.session import reproduce as rerun

    c = client(ctx)
    run_id = lookup.run_or_model(c, ref, experiment)
    if dry_run:
        emit(plan_rerun(c, run_id, env_manager, params, python), as_json, render.render_plan)
        return
    result = rerun(c, run_id, env_manager=env_manager, python=python, repo=repo,
                   allow_data_change=allow_data_change, rtol=rtol, keep=keep, progress=_progress,
                   params=params, run_name=name)
    emit(result.to_dict(), as_json, render.render_reproduction)


def _progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def register(app: typer.Typer) -> None:
    """Add ``reproduce`` to the ``cairn`` command (``runs branch`` is added by ``runs``)."""
    app.command("reproduce")(reproduce)
