"""What ``cairn runs list`` and ``cairn runs show`` print, as plain JSON-ready dicts: run rows,
and one run's params, metric curves, code, environment, seeds, grouped tags and artifacts.

A command builds one of these documents; ``--json`` writes it as is and ``render.runs`` draws the
same document with Rich, so the two outputs always carry the same facts. Times are milliseconds
since the epoch (UTC), sizes are bytes, as in the SDK's entities. The code, environment and
seeds sections come from ``cairn.tracking.run_context``, which ``cairn models show`` and the web
UI read too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cairn.cli.views.curves import curve_summary
from cairn.entities import Experiment, FileInfo, Metric, Run
from cairn.tracking.run_context import (  # noqa: F401 (the artifact names: `cairn runs show` reads them as views.*)
    DIFF_ARTIFACT,
    REQUIREMENTS_ARTIFACT,
    code_view,
    environment_view,
    seeds_view,
)

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


def _duration(start: int | None, end: int | None) -> int | None:
    return end - start if start is not None and end is not None else None
