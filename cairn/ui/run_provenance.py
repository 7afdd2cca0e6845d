"""What the run page adds about where a run came from: its code (commit linked to the forge,
branch, dirty flag, the uncommitted diff as a diff), environment (Python, OS, hardware, pinned
packages), seeds, the datasets it used, the models it logged.

Code, environment and seeds are read from the run's tags and its two captured artifacts by
``cairn.tracking.run_context``, as ``cairn runs show`` reads them. The diff is shown up to
``MAX_DIFF_LINES`` lines of its first ``MAX_DIFF_BYTES``; Jinja escapes every line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.artifacts.base import ArtifactStore
from cairn.entities import DatasetInput, FileInfo, Run
from cairn.errors import CairnError
from cairn.registry.model_files import MLMODEL_FILE
from cairn.store.database import Database
from cairn.tracking import logged_models
from cairn.tracking.run_context import (
    DIFF_ARTIFACT,
    REQUIREMENTS_ARTIFACT,
    code_view,
    environment_view,
    parse_requirements,
    seeds_view,
)

from . import artifact_previews
from .forge_links import commit_url

MAX_DIFF_BYTES = 512 * 1024
MAX_DIFF_LINES = 5000
MAX_REQUIREMENTS_BYTES = 512 * 1024
MAX_LOGGED_MODELS = 100
MAX_FOLDERS_SEARCHED = 50


@dataclass
class Provenance:
    code: dict[str, Any]
    commit_href: str | None
    environment: dict[str, Any]
    seeds: dict[str, Any]
    datasets: list[DatasetInput]
    diff: list[tuple[str, str]] = field(default_factory=list)  # (kind, line): file, meta, hunk, add, del, context
    diff_truncated: bool = False
    packages: list[tuple[str, str]] = field(default_factory=list)
    model_folders: list[str] = field(default_factory=list)  # artifact folders holding an MLmodel
    logged_models: list[logged_models.LoggedModel] = field(default_factory=list)


def load_provenance(db: Database, store: ArtifactStore, run: Run, files: list[FileInfo]) -> Provenance:
    tags = run.data.tags
    diff_text = _read(store, run, DIFF_ARTIFACT, MAX_DIFF_BYTES)
    requirements = _read(store, run, REQUIREMENTS_ARTIFACT, MAX_REQUIREMENTS_BYTES)
    code = code_view(tags, diff_text[0] if diff_text else None)
    found = Provenance(
        code, commit_url(code["remote"], code["commit"]),
        environment_view(tags, requirements[0] if requirements else None), seeds_view(tags), list(run.inputs),
    )  # fmt: skip
    if diff_text is not None:
        found.diff, found.diff_truncated = diff_lines(*diff_text)
    if requirements is not None:
        found.packages = sorted(parse_requirements(requirements[0]).items())
    found.model_folders = _model_folders(store, run, files)
    try:
        found.logged_models = logged_models.search_logged_models(
            db, [run.info.experiment_id], f"source_run_id = '{run.run_id}'", max_results=MAX_LOGGED_MODELS).items
    except CairnError:  # an experiment id MLflow's logged-model search does not take
        found.logged_models = []
    return found


def diff_lines(text: str, truncated: bool) -> tuple[list[tuple[str, str]], bool]:
    """A unified diff's lines, each with its kind for colouring."""
    lines = text.splitlines()
    if len(lines) > MAX_DIFF_LINES:
        lines, truncated = lines[:MAX_DIFF_LINES], True
    kinds = []
    in_hunk = False
    for line in lines:
        if line.startswith("diff --git "):
            kind, in_hunk = "file", False
        elif line.startswith("@@"):
            kind, in_hunk = "hunk", True
        elif not in_hunk:
            kind = "meta"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        kinds.append((kind, line))
    return kinds, truncated


def _read(store: ArtifactStore, run: Run, path: str, limit: int) -> tuple[str, bool] | None:
    """(text, truncated) of a run's artifact, or None when it has none."""
    try:
        with store.open(artifact_previews.location_of(run, path, allow_empty=False)) as stream:
            head = stream.read(limit + 1)
    except CairnError:
        return None
    return head[:limit].decode("utf-8", errors="replace"), len(head) > limit


def _model_folders(store: ArtifactStore, run: Run, files: list[FileInfo]) -> list[str]:
    """The run's top-level artifact folders (and its root) that hold an ``MLmodel``."""
    found = [""] if any(f.path == MLMODEL_FILE for f in files) else []
    for folder in [f for f in files if f.is_dir][:MAX_FOLDERS_SEARCHED]:
        try:
            inside = artifact_previews.list_files(store, run, folder.path)
        except CairnError:
            continue
        if any(f.path == f"{folder.path}/{MLMODEL_FILE}" for f in inside):
            found.append(folder.path)
    return found
