"""What ``cairn runs list`` and ``cairn runs show`` print, as plain JSON-ready dicts: run rows,
and one run's params, metric curves, code, environment, seeds, grouped tags and artifacts.

A command builds one of these documents; ``--json`` writes it as is and ``render.runs`` draws the
same document with Rich, so the two outputs always carry the same facts. Times are milliseconds
since the epoch (UTC), sizes are bytes, as in the SDK's entities. ``code_view``,
``environment_view`` and ``seeds_view`` also serve ``cairn models show``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.cli.views.curves import curve_summary
from cairn.entities import Experiment, FileInfo, Metric, Run

DIFF_ARTIFACT = "code/diff.patch"
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
KEY_PACKAGES = ("numpy", "pandas", "scikit-learn", "torch", "tensorflow", "xgboost")

# Tag groups in display order; a pattern matches the key itself or any key below it ("a" covers
# "a" and "a.b"), a pattern ending in "." matches keys below it only.
TAG_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("code", ("mlflow.source.", "cairn.git", "cairn.command")),
    ("environment", ("cairn.python", "cairn.env")),
    ("system", ("cairn.os", "cairn.kernel", "cairn.cpu", "cairn.ram", "cairn.gpus",
                "cairn.hostname", "mlflow.user")),
    ("seeds", ("cairn.seed",)),
)
OTHER_GROUP = "other"
_GiB = 1024**3


def run_row(run: Run) -> dict[str, Any]:
    """One run as ``cairn runs list`` shows it: identity, timing, params and latest metrics."""
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "lifecycle_stage": info.lifecycle_stage,
        "user_id": info.user_id,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_ms": _duration(info.start_time, info.end_time),
        "params": dict(sorted(run.data.params.items())),
        "metrics": {key: m.value for key, m in sorted(run.data.metrics.items())},
    }


def runs_view(runs: Sequence[Run], experiments: Mapping[str, str], has_more: bool) -> dict[str, Any]:
    """``experiments`` maps the searched experiment ids to their names."""
    return {
        "experiments": [{"experiment_id": k, "name": v} for k, v in experiments.items()],
        "runs": [run_row(run) for run in runs],
        "has_more": has_more,
    }


def run_detail(
    run: Run,
    experiment: Experiment,
    histories: Mapping[str, Sequence[Metric]],
    artifacts: Sequence[FileInfo],
    diff_text: str | None,
    requirements_text: str | None,
    curve_width: int,
) -> dict[str, Any]:
    """Everything ``cairn runs show`` prints about one run."""
    tags = run.data.tags
    row = run_row(run)
    del row["params"], row["metrics"]
    files = [f for f in artifacts if not f.is_dir]
    return {
        "run": {
            **row,
            "experiment_name": experiment.name,
            "artifact_uri": run.info.artifact_uri,
            "parent_run_id": tags.get("mlflow.parentRunId"),
            "description": tags.get("mlflow.note.content"),
        },
        "params": dict(sorted(run.data.params.items())),
        "metrics": {
            key: metric_view(latest, histories.get(key, ()), curve_width)
            for key, latest in sorted(run.data.metrics.items())
        },
        "code": code_view(tags, diff_text),
        "environment": environment_view(tags, requirements_text),
        "seeds": seeds_view(tags),
        "tags": group_tags(tags),
        "artifacts": {
            "files": [{"path": f.path, "size": f.file_size} for f in files],
            "count": len(files),
            "total_bytes": sum(f.file_size or 0 for f in files),
        },
    }


def metric_view(latest: Metric, history: Sequence[Metric], curve_width: int) -> dict[str, Any]:
    summary = curve_summary([p.step for p in history], [p.value for p in history], curve_width)
    return {"value": latest.value, "step": latest.step, "timestamp": latest.timestamp, **summary}


def group_tags(tags: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Tags split into code / environment / system / seeds / other, keys sorted in each group."""
    groups: dict[str, dict[str, str]] = {name: {} for name, _ in TAG_GROUPS}
    groups[OTHER_GROUP] = {}
    for key in sorted(tags):
        groups[_group_of(key)][key] = tags[key]
    return groups


def _group_of(key: str) -> str:
    for name, patterns in TAG_GROUPS:
        for pattern in patterns:
            if pattern.endswith("."):
                if key.startswith(pattern):
                    return name
            elif key == pattern or key.startswith(pattern + "."):
                return name
    return OTHER_GROUP


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


def _duration(start: int | None, end: int | None) -> int | None:
    return end - start if start is not None and end is not None else None


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
