"""What ``cairn experiments list`` prints, as a plain JSON-ready dict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.entities import Experiment


def experiment_view(experiment: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "lifecycle_stage": experiment.lifecycle_stage,
        "artifact_location": experiment.artifact_location,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dict(experiment.tags),
    }


def experiments_view(experiments: Sequence[Experiment]) -> dict[str, Any]:
    return {"experiments": [experiment_view(e) for e in experiments]}
