"""The import half of ``LocalBackend``: ``tracking.imports``, ``tracking.logged_model_imports`` and
``registry.imports`` called on the embedded store."""

from __future__ import annotations

from collections.abc import Sequence

from cairn.entities import Actor, Metric
from cairn.registry.imports import ImportedModel, ItemOutcome, import_registered_model
from cairn.store.database import Database
from cairn.tracking import imports, logged_model_imports
from cairn.tracking.imports import (
    ExperimentImport,
    ImportedExperiment,
    ImportedRun,
    ImportStart,
)
from cairn.tracking.logged_model_imports import ImportedLoggedModel


class LocalImports:
    """Mixed into ``LocalBackend``."""

    db: Database

    def import_experiment(self, experiment: ImportedExperiment) -> ExperimentImport:
        return imports.import_experiment(self.db, experiment)

    def begin_run_import(self, run: ImportedRun, source: str) -> ImportStart:
        return imports.begin_run_import(self.db, run, source)

    def import_metric_points(self, run_id: str, points: Sequence[Metric]) -> None:
        imports.import_metric_points(self.db, run_id, points)

    def complete_run_import(self, run_id: str) -> None:
        imports.complete_run_import(self.db, run_id)

    def begin_logged_model_import(self, model: ImportedLoggedModel, source: str) -> ImportStart:
        return logged_model_imports.begin_logged_model_import(self.db, model, source)

    def complete_logged_model_import(self, model_id: str) -> None:
        logged_model_imports.complete_logged_model_import(self.db, model_id)

    def finish_import(self) -> None:
        imports.finish_import(self.db)

    def import_registered_model(self, model: ImportedModel, actor: Actor, source: str) -> list[ItemOutcome]:
        return import_registered_model(self.db, model, actor, source)
