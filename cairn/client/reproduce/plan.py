"""What a re-run needs, read from what a run recorded: the code state (commit, patch), the
environment (pinned requirements, Python version), the data (each input dataset and where it came
from), the command (entry point, arguments, working directory) and the seed.

``plan_run`` reads and checks; it changes nothing, so ``--dry-run`` prints exactly this plan. What
is missing for a re-run is collected in ``problems`` (each a sentence saying what is missing and
why), and ``require_runnable`` turns them into one refusal.
"""

from __future__ import annotations

import json
import posixpath
import shlex
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cairn.client.capture import SOURCE_CWD_TAG, SOURCE_MODULE_TAG
from cairn.client.capture.environment import REQUIREMENTS_ARTIFACT
from cairn.client.capture.git import DIFF_ARTIFACT
from cairn.client.environments import Requirement, parse_requirement_lines
from cairn.entities import Run
from cairn.errors import InvalidParameter

from .params import apply_param_changes

COMMIT_TAG = "mlflow.source.git.commit"
BRANCH_TAG = "mlflow.source.git.branch"
REPO_URL_TAG = "mlflow.source.git.repoURL"
DIRTY_TAG = "cairn.git.dirty"
ENTRY_TAG = "mlflow.source.name"
COMMAND_TAG = "cairn.command"
PYTHON_TAG = "cairn.python.version"
SEED_TAG = "cairn.seed"
SEED_LIBRARIES_TAG = "cairn.seed.libraries"
CONTEXT_TAG = "mlflow.data.context"
TRUNCATED_MARK = "...[truncated]"
ENV_MANAGERS = ("venv", "local")
PATCH_NOTE_PREFIX = "# note: "


@dataclass(frozen=True)
class DatasetPlan:
    """One recorded input: how it will be checked (``check``: ``file``, ``reference`` or ``none``)."""

    name: str
    digest: str
    context: str | None
    source_type: str
    uri: str | None
    check: str


@dataclass
class ReproductionPlan:
    """Everything a re-run of ``run_id`` uses, and ``problems`` that stop it."""

    run_id: str
    run_name: str
    experiment_id: str
    commit: str | None
    branch: str | None
    repo_url: str | None
    patch: str | None
    patch_notes: list[str]
    requirements: list[Requirement]
    python_version: str | None
    env_manager: str
    datasets: list[DatasetPlan]
    entry_point: str | None
    module: str | None
    arguments: list[str]
    working_dir: str
    seed: str | None
    seed_libraries: list[str]
    params: dict[str, str]
    param_changes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def patch_bytes(self) -> int:
        return len(self.patch.encode()) if self.patch is not None else 0

    def command(self, python: str = "python") -> list[str]:
        """The command line to run, relative to the rebuilt checkout's ``working_dir``."""
        if self.module is not None:
            return [python, "-m", self.module, *self.arguments]
        entry = self.entry_point or ""
        return [python, posixpath.relpath(entry, self.working_dir), *self.arguments]

    def to_dict(self) -> dict[str, Any]:
        """The plan as ``--dry-run --json`` prints it (the patch by size, packages by line)."""
        return {
            "run_id": self.run_id, "run_name": self.run_name, "experiment_id": self.experiment_id,
            "code": {"commit": self.commit, "branch": self.branch, "repo_url": self.repo_url,
                     "patch_bytes": self.patch_bytes, "patch_notes": self.patch_notes},
            "environment": {"env_manager": self.env_manager, "python_version": self.python_version,
                            "packages": [r.line for r in self.requirements]},
            "datasets": [asdict(d) for d in self.datasets],
            "command": shlex.join(self.command()), "working_dir": self.working_dir,
            "seed": self.seed, "seed_libraries": self.seed_libraries,
            "param_changes": self.param_changes, "problems": self.problems, "notes": self.notes,
        }


def plan_run(run: Run, read_artifact: Any, env_manager: str = "venv") -> ReproductionPlan:
    """The plan to re-run ``run``; ``read_artifact(run_id, path)`` returns an artifact's text or None."""
    if env_manager not in ENV_MANAGERS:
        raise InvalidParameter(f"--env-manager must be one of {', '.join(ENV_MANAGERS)}, not {env_manager!r}.")
    tags = run.data.tags
    problems: list[str] = []
    notes: list[str] = []
    commit = tags.get(COMMIT_TAG)
    if not commit:
        problems.append("the run recorded no git commit (it ran outside a git repository, or capture was off), "
                        "so its code state cannot be rebuilt")
    patch = None
    patch_notes: list[str] = []
    if tags.get(DIRTY_TAG) == "true":
        patch = read_artifact(run.run_id, DIFF_ARTIFACT)
        if patch is None:
            problems.append(f"the run had uncommitted changes but no {DIFF_ARTIFACT} artifact (over its size cap?), "
                            "so they cannot be re-applied")
        else:
            patch_notes = [line[len(PATCH_NOTE_PREFIX):] for line in patch.splitlines()
                           if line.startswith(PATCH_NOTE_PREFIX)]
            if patch_notes:
                notes.append(f"the recorded patch left out {len(patch_notes)} file(s): " + "; ".join(patch_notes[:3]))
    requirements_text = read_artifact(run.run_id, REQUIREMENTS_ARTIFACT)
    if requirements_text is None and env_manager == "venv":
        problems.append(f"the run recorded no {REQUIREMENTS_ARTIFACT}, so its environment cannot be rebuilt "
                        "(re-run it in this environment with --env-manager local)")
    module, entry, arguments, working_dir = _command(tags, problems, notes)
    return ReproductionPlan(
        run_id=run.run_id, run_name=run.info.run_name, experiment_id=run.info.experiment_id,
        commit=commit, branch=tags.get(BRANCH_TAG), repo_url=tags.get(REPO_URL_TAG), patch=patch,
        patch_notes=patch_notes, requirements=parse_requirement_lines(requirements_text or ""),
        python_version=tags.get(PYTHON_TAG), env_manager=env_manager, datasets=_datasets(run),
        entry_point=entry, module=module, arguments=arguments, working_dir=working_dir,
        seed=tags.get(SEED_TAG), seed_libraries=[s for s in tags.get(SEED_LIBRARIES_TAG, "").split(",") if s],
        params=dict(run.data.params), problems=problems, notes=notes,
    )


def change_params(plan: ReproductionPlan, changes: Mapping[str, str], script: str | None) -> None:
    """Apply ``runs branch`` parameter changes to the plan's command line (``script``: the entry
    point's source, to find options left at their defaults). ``InvalidParameter`` when one cannot be."""
    plan.arguments, plan.param_changes = apply_param_changes(plan.arguments, plan.params, changes, script)


def require_runnable(plan: ReproductionPlan) -> None:
    """``InvalidParameter`` naming every problem when the plan cannot run."""
    if plan.problems:
        raise InvalidParameter(f"Cannot re-run run {plan.run_id}: " + "; ".join(plan.problems) + ".")


def _command(tags: Mapping[str, str], problems: list[str],
             notes: list[str]) -> tuple[str | None, str | None, list[str], str]:
    """(module, entry point relative to the repository root, arguments, working directory)."""
    recorded = tags.get(COMMAND_TAG)
    entry = tags.get(ENTRY_TAG)
    module = tags.get(SOURCE_MODULE_TAG)
    if not recorded:
        problems.append("the run recorded no command line")
        return module, entry, [], "."
    if recorded.endswith(TRUNCATED_MARK):
        problems.append("the recorded command line was cut at the tag size limit, so it cannot be re-run")
    argv = shlex.split(recorded)
    if module is None and (not entry or argv[0] in ("", "-", "-c")):
        problems.append("the run was started from inline or interactive code (no script file), so there is "
                        "no entry point to re-run")
        return module, entry, argv[1:], "."
    if module is None and (posixpath.isabs(entry or "") or (entry or "").startswith("../")):
        problems.append(f"the entry point {entry} lies outside the git repository, so the recorded commit does "
                        "not hold it")
    working_dir = tags.get(SOURCE_CWD_TAG)
    if working_dir is None:
        working_dir = _infer_working_dir(argv[0], entry or "")
        notes.append(f"the run did not record its working directory; using {working_dir!r} in the checkout")
    return module, entry, argv[1:], working_dir


def _infer_working_dir(typed: str, entry: str) -> str:
    # Runs captured before the working directory was recorded: the script path as typed (argv[0])
    # is the entry point's path relative to the directory the command ran in.
    typed_norm = posixpath.normpath(typed)
    if not posixpath.isabs(typed_norm) and entry.endswith(typed_norm):
        prefix = entry[: len(entry) - len(typed_norm)].rstrip("/")
        return prefix or "."
    return posixpath.dirname(entry) or "."


def _datasets(run: Run) -> list[DatasetPlan]:
    plans = []
    for item in run.inputs:
        dataset = item.dataset
        uri = _source_uri(dataset.source)
        if dataset.source_type == "local" and uri is not None:
            check = "file"
        elif dataset.source_type == "code" or uri is None:
            check = "none"
        else:
            check = "reference"
        plans.append(DatasetPlan(dataset.name, dataset.digest, item.tags.get(CONTEXT_TAG), dataset.source_type,
                                 uri, check))
    return plans


def _source_uri(source: str | None) -> str | None:
    try:
        value = json.loads(source or "")
    except ValueError:
        return None
    uri = value.get("uri") if isinstance(value, dict) else None
    return str(uri) if uri else None


def current_python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])
