"""Naming stored data by reference, to compare profiles (drift): one rule for the server's drift
route and the SDK's ``measure_drift``.

    run:<run_id>, or a bare run id     the training dataset of that run
    a model version reference          the training dataset of the version's source run
                                       (``models:/NAME@alias``; the caller resolves it)
    dataset:<ref>, or <ref>            a dataset record: digest, digest prefix, name or NAME@DIGEST

The lookups go through ``ProfileSources``: the store itself on a server, the ``Client`` in the SDK
(embedded or remote), so both read a reference the same way.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from cairn.entities import Dataset, Run
from cairn.errors import InvalidParameter
from cairn.store.datasets import DatasetRecord
from cairn.tracking.runs import looks_like_run_id

from .catalog import training_dataset

RUN_PREFIX = "run:"
DATASET_PREFIX = "dataset:"


class ProfileSources(Protocol):
    """Where the runs, model versions and dataset records a reference names are looked up."""

    def get_run(self, run_id: str) -> Run: ...
    def get_dataset(self, ref: str) -> DatasetRecord: ...
    def model_run_id(self, ref: str) -> str | None:
        """The source run of the model version ``ref`` names; None when ``ref`` names no version."""


def resolve_profile(sources: ProfileSources, ref: str) -> tuple[str, dict[str, Any]]:
    """(a label for the data ``ref`` names, its per-feature profile).

    ``NotFound`` when the run, version or dataset is missing or a run logged no dataset;
    ``InvalidParameter`` when the dataset was stored without a profile.
    """
    text = ref.strip()
    inner = text.removeprefix(RUN_PREFIX)
    run_id = sources.model_run_id(inner)
    if run_id is None and (inner != text or looks_like_run_id(text)):
        run_id = inner
    if run_id is not None:
        run = sources.get_run(run_id)
        dataset = training_dataset(run)
        return f"{dataset.name} @{dataset.digest[:12]} (run {run.run_id[:8]})", profile_of(dataset)
    dataset = sources.get_dataset(text.removeprefix(DATASET_PREFIX)).dataset
    return f"{dataset.name} @{dataset.digest[:12]}", profile_of(dataset)


def profile_of(dataset: Dataset) -> dict[str, Any]:
    """The dataset's per-feature profile; ``InvalidParameter`` when it was stored without one."""
    profile = json.loads(dataset.profile) if dataset.profile else None
    if not profile or not profile.get("features"):
        raise InvalidParameter(f"Dataset '{dataset.name}' @{dataset.digest[:12]} has no per-feature profile "
                               "(it was logged without one, e.g. by MLflow's client or as a URI).")
    return dict(profile)
