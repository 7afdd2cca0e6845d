"""One re-run from start to verdict: plan, check the data, rebuild the code and the environment,
run the recorded command as a prepared run, then diff it against the original and judge.

``reproduce`` re-runs as recorded (tag ``cairn.reproduces``); ``branch`` re-runs with some
parameters changed (tag ``cairn.branched_from``). Both leave the new run in the original's
experiment and delete the temporary checkout unless asked to keep it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.client.client import Client
from cairn.client.dataset_methods import _ClientRunReader
from cairn.client.environments import (
    BuiltEnvironment,
    build_environment,
    default_cache_dir,
    interpreter_version,
    unmet_requirements,
)
from cairn.client.environments.builder import COMPLETE_MARKER, environment_key
from cairn.client.environments.requirements import CAIRN_DISTRIBUTION
from cairn.entities import Run, RunStatus
from cairn.errors import CairnError
from cairn.registry.refs import model_run_id

from .code_state import (
    committed_file,
    link_outside_data,
    original_repo_root,
    rebuild_code,
)
from .data_check import CHANGED, MISSING, DataCheck, check_datasets, refuse_changed
from .launch import child_environment, existing_dir, run_command
from .plan import (
    ReproductionPlan,
    change_params,
    current_python_version,
    plan_run,
    require_runnable,
)
from .verdict import DEFAULT_RTOL, Verdict, judge

REPRODUCES_TAG = "cairn.reproduces"
BRANCHED_FROM_TAG = "cairn.branched_from"
VERDICT_TAG = "cairn.reproduction.verdict"

Progress = Callable[[str], None]


class RerunFailed(CairnError):
    """The recorded command ran but failed, or never logged into the run prepared for it."""


@dataclass
class Reproduction:
    """A finished re-run: the new ``run`` (and its ``run_id``), the ``verdict`` against the original,
    the ``diff`` (``cairn diff ORIGINAL NEW``), the ``plan`` it followed and the data checks made first."""

    original_run_id: str
    run: Run
    verdict: Verdict
    diff: Any
    plan: ReproductionPlan
    data_checks: list[DataCheck]
    environment: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "original_run_id": self.original_run_id, **self.verdict.to_dict(),
                "plan": self.plan.to_dict(), "data_checks": [c.to_dict() for c in self.data_checks],
                "environment": self.environment, "notes": self.notes, "diff": self.diff.to_dict()}


def resolve_run_id(client: Client, ref: str) -> str:
    """The run a reference names: ``models:/NAME/VERSION``, ``models:/NAME@alias``,
    ``models:/NAME/Stage`` (the version's source run), or a run id."""
    return model_run_id(ref, client.resolve_model_version) or ref


def plan_rerun(client: Client, ref: str, env_manager: str = "venv", params: Mapping[str, str] | None = None,
               python: str | None = None, cache_dir: Path | None = None) -> dict[str, Any]:
    """The plan as ``--dry-run`` prints it, data checks and environment included; runs nothing."""
    plan = _plan(client, ref, env_manager)
    if params:
        change_params(plan, params, committed_file(None, plan.commit, plan.entry_point))
    document = plan.to_dict()
    document["data_checks"] = [c.to_dict() for c in check_datasets(plan.datasets)]
    document["environment"].update(_environment_preview(plan, python, cache_dir))
    return document


def reproduce(client: Client, ref: str, *, env_manager: str = "venv", python: str | None = None,
              repo: Path | None = None, allow_data_change: bool = False, rtol: float = DEFAULT_RTOL,
              cache_dir: Path | None = None, keep: bool = False, progress: Progress | None = None,
              params: Mapping[str, str] | None = None, run_name: str | None = None) -> Reproduction:
    """Re-run the run ``ref`` names from what it recorded and judge the result (see the module doc).

    ``params`` changes parameters on the recorded command line (a branch: the new run is tagged
    ``cairn.branched_from``; else ``cairn.reproduces``). Raises ``InvalidParameter`` when the run
    lacks what a re-run needs, ``DataChanged`` when a dataset changed (unless ``allow_data_change``),
    ``CodeStateRefused`` when the commit is unreachable or the patch fails,
    ``EnvironmentBuildFailed`` when pip fails, ``RerunFailed`` when the command fails.
    """
    say = progress or (lambda line: None)
    plan = _plan(client, ref, env_manager)
    require_runnable(plan)
    notes = list(plan.notes)
    checks = check_datasets(plan.datasets)
    if allow_data_change:
        notes += [f"re-running on changed data: {c.describe()}" for c in checks if c.status in (CHANGED, MISSING)]
    else:
        refuse_changed(checks, plan.run_id)
    for check in checks:
        say(f"data: {check.name} {check.status}" + (f" ({check.note})" if check.note else ""))

    state = rebuild_code(plan, repo, say)
    try:
        if params:
            change_params(plan, params, _read_text(state.root / (plan.entry_point or "")))
        linked = link_outside_data(state, plan, original_repo_root(repo))
        if linked:
            notes.append("linked data files the checkout lacks: " + ", ".join(linked))
        interpreter, env, environment = _environment(plan, python, cache_dir, say, notes)
        branching = bool(params)
        tag = BRANCHED_FROM_TAG if branching else REPRODUCES_TAG
        name = run_name or f"{plan.run_name}-{'branch' if branching else 'reproduced'}"
        new = client.create_run(plan.experiment_id, tags={tag: plan.run_id}, run_name=name)
        command = plan.command(interpreter)
        cwd = existing_dir(state.root, plan.working_dir)
        say(f"run: {' '.join(command)}  (in {cwd}, as run {new.run_id}"
            + (f", seed {plan.seed})" if plan.seed else ")"))
        code = run_command(command, cwd, child_environment(env, client.tracking_uri, new.run_id, plan.seed), say)
        _finish(client, new.run_id, code)
        diff = client.diff_runs(plan.run_id, new.run_id, repo=state.root, curves=False)
    finally:
        if keep:
            say(f"code: kept the checkout at {state.root}")
        else:
            state.remove()
    verdict = judge(diff.to_dict(), rtol, plan.param_changes, plan.seed_libraries)
    client.set_tag(new.run_id, VERDICT_TAG, verdict.verdict)
    return Reproduction(plan.run_id, client.get_run(new.run_id), verdict, diff, plan, checks, environment, notes)


def _plan(client: Client, ref: str, env_manager: str) -> ReproductionPlan:
    run = client.get_run(resolve_run_id(client, ref))
    return plan_run(run, _ClientRunReader(client).read_artifact_text, env_manager)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    except OSError:
        return None


def _environment(plan: ReproductionPlan, python: str | None, cache_dir: Path | None, say: Progress,
                 notes: list[str]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(interpreter, process environment, description) for the re-run."""
    if plan.env_manager == "local":
        version = current_python_version()
        _check_python(plan, version, notes, say)
        unmet = unmet_requirements(plan.requirements, skip=frozenset({CAIRN_DISTRIBUTION}))
        if unmet:
            notes.append(f"this environment differs from the recorded one in {len(unmet)} package(s): "
                         + ", ".join(u.describe() for u in unmet[:5]))
        say(f"environment: this interpreter ({sys.executable}, Python {version})")
        return sys.executable, dict(os.environ), {"env_manager": "local", "python": sys.executable,
                                                  "python_version": version, "unmet": len(unmet)}
    chosen = python
    version = interpreter_version(chosen) if chosen else None
    built: BuiltEnvironment = build_environment(plan.requirements, chosen, cache_dir, exact=True, progress=say)
    version = version or interpreter_version(built.python)
    _check_python(plan, version, notes, say)
    return str(built.python), built.env(), {"env_manager": "venv", "python": str(built.python),
                                            "python_version": version, "path": str(built.path),
                                            "key": built.key, "reused": built.reused}


def _check_python(plan: ReproductionPlan, version: str, notes: list[str], say: Progress) -> None:
    recorded = plan.python_version
    if recorded and recorded != version:
        message = (f"the run recorded Python {recorded}, the re-run uses Python {version}"
                   + ("" if plan.env_manager == "local" else "; choose another interpreter with --python"))
        notes.append(message)
        say(f"environment: {message}")


def _environment_preview(plan: ReproductionPlan, python: str | None, cache_dir: Path | None) -> dict[str, Any]:
    if plan.env_manager == "local":
        return {"python": sys.executable, "python_version": current_python_version()}
    version = interpreter_version(python) if python else current_python_version()
    lines = [r.line for r in plan.requirements if r.key != CAIRN_DISTRIBUTION]
    key = environment_key(lines, version, True)
    folder = (cache_dir or default_cache_dir()) / key
    return {"python_version": version, "key": key, "path": str(folder),
            "cached": (folder / COMPLETE_MARKER).is_file()}


def _finish(client: Client, run_id: str, exit_code: int) -> None:
    run = client.get_run(run_id)
    if exit_code != 0:
        if run.info.status == RunStatus.RUNNING.value:
            client.set_terminated(run_id, RunStatus.FAILED.value)
        raise RerunFailed(f"The re-run exited with code {exit_code} (its output is above); run {run_id} is "
                          "marked FAILED.")
    if not run.data.metrics and not run.data.params:
        client.set_terminated(run_id, RunStatus.FAILED.value)
        raise RerunFailed(f"The command finished but logged nothing into run {run_id}: the script must log "
                          "through cairn (cairn.start_run() takes the run Cairn prepared for it).")
    if run.info.status == RunStatus.RUNNING.value:
        client.set_terminated(run_id)
