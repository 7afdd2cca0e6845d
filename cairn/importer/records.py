"""What a source hands out: the domain's import records plus where each one's files are there."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.tracking.imports import ImportedExperiment, ImportedRun
from cairn.tracking.logged_model_imports import ImportedLoggedModel

RUN_FILES, MODEL_FILES = "run", "logged_model"


@dataclass(frozen=True, slots=True)
class SourceExperiment:
    experiment: ImportedExperiment  # ids are the source's
    artifact_location: str


@dataclass(frozen=True, slots=True)
class SourceRun:
    run: ImportedRun  # experiment_id is the source's
    artifact_uri: str
    metric_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceLoggedModel:
    model: ImportedLoggedModel  # experiment_id is the source's
    artifact_location: str


@dataclass(frozen=True, slots=True)
class FilesRoot:
    """The files of one run (``kind`` RUN_FILES) or logged model (MODEL_FILES) in the source."""

    kind: str
    owner_id: str
    uri: str


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative to its root, '/'-separated
    size: int | None = None

