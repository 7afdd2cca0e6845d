"""What a run's captured context says: its code (commit, branch, remote, dirty flag and a summary
of the uncommitted diff), its environment (Python, OS, hardware, pinned packages) and its seeds.

The SDK's capture (``cairn.client.capture``) records these as tags and two artifacts
(``code/diff.patch``, ``environment/requirements.txt``); these functions read them back into
JSON-ready dicts, one reading for every place that shows them: ``cairn runs show``, ``cairn
models show``, the web UI's run and model-version pages and the model report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

DIFF_ARTIFACT = "code/diff.patch"
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
KEY_PACKAGES = ("numpy", "pandas", "scikit-learn", "torch", "tensorflow", "xgboost")
_GiB = 1024**3


def code_view(tags: Mapping[str, str], diff_text: str | None) -> dict[str, Any]:
    """Commit, branch, remote, dirty flag and a summary of the uncommitted diff."""
    dirty = tags.get("cairn.git.dirty")
    available = tags.get("cairn.git.available")
    return {
        "git": None if available is None else available == "true",
        "commit": tags.get("mlflow.source.git.commit"),
        "branch": tags.get("mlflow.source.git.branch"),
        "remote": tags.get("mlflow.source.git.repoURL"),
        "dirty": None if dirty is None else dirty == "true",
        "files_changed": _as_int(tags.get("cairn.git.diff_files")),
        "diff": summarize_diff(diff_text) if diff_text is not None else None,
        "entry_point": tags.get("mlflow.source.name"),
        "command": tags.get("cairn.command"),
    }


def summarize_diff(patch: str) -> dict[str, Any]:
    """Files and added/removed lines in a unified diff (as ``git diff`` writes it).

    Header lines (``--- a/x``, ``+++ b/x``) are told apart from changed lines by position: only
    lines after a hunk header ``@@`` count.
    """
    files: list[str] = []
    added = removed = 0
    in_hunk = False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            in_hunk = False
            files.append(_diff_path(line))
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line.startswith("+"):
            added += 1
        elif in_hunk and line.startswith("-"):
            removed += 1
    return {"artifact": DIFF_ARTIFACT, "files": files, "added": added, "removed": removed}


def _diff_path(header: str) -> str:
    # "diff --git a/x b/x": the new path is the last " b/" part.
    rest = header[len("diff --git "):]
    cut = rest.rfind(" b/")
    return rest[cut + 3:] if cut >= 0 else rest


def environment_view(tags: Mapping[str, str], requirements_text: str | None) -> dict[str, Any]:
    """Python, OS, hardware and the installed packages that matter most for reproducing a run."""
    pinned = parse_requirements(requirements_text) if requirements_text is not None else {}
    ram = _as_int(tags.get("cairn.ram.bytes"))
    packages = _as_int(tags.get("cairn.env.packages"))
    return {
        "python": tags.get("cairn.python.version"),
        "python_implementation": tags.get("cairn.python.implementation"),
        "os": tags.get("cairn.os"),
        "kernel": tags.get("cairn.kernel"),
        "cpu": tags.get("cairn.cpu.model"),
        "cpu_count": _as_int(tags.get("cairn.cpu.count")),
        "ram_gib": round(ram / _GiB, 1) if ram is not None else None,
        "gpus": tags.get("cairn.gpus"),
        "hostname": tags.get("cairn.hostname"),
        "user": tags.get("mlflow.user"),
        "packages": packages if packages is not None else (len(pinned) if pinned else None),
        "key_packages": {name: pinned[name] for name in KEY_PACKAGES if name in pinned},
        "requirements_artifact": REQUIREMENTS_ARTIFACT if requirements_text is not None else None,
    }


def parse_requirements(text: str) -> dict[str, str]:
    """``name==version`` lines as {normalized name: version}; other lines are skipped."""
    pinned: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep and name:
            pinned[re.sub(r"[-_.]+", "-", name.strip()).lower()] = version.strip()
    return pinned


def seeds_view(tags: Mapping[str, str]) -> dict[str, Any]:
    seed = tags.get("cairn.seed")
    return {
        "seed": _as_int(seed) if _as_int(seed) is not None else seed,
        "libraries": _as_list(tags.get("cairn.seed.libraries")),
    }



def _as_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _as_list(text: str | None) -> list[str]:
    if not text:
        return []
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(item) for item in items]
    return [part for part in re.split(r"[,\s]+", text) if part]
