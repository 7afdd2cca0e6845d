"""Copying one MLflow store into a Cairn store (``cairn import mlflow``).

The order makes every reference land on something already there: experiments, then each
experiment's logged models (runs link to them), then runs, then the registry (versions name runs
and logged models). A run or logged model is begun, fed (metric points, files) and completed
last, so an import that stops half-way redoes just that one next time and skips what is complete
(the rules are ``tracking.imports``). One thing failing is counted with its reason and the import
goes on; running the command again retries exactly what failed. A store that stops answering
(``StoreUnavailable``: the Cairn server, or the MLflow database or server) ends the import at
once: every item after it would fail the same way.

Files are fetched one at a time into a private temporary folder and uploaded from there, so any
size passes in constant memory.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Protocol

from cairn.client.backends import Backend
from cairn.entities import Actor, Experiment
from cairn.errors import CairnError, StoreUnavailable
from cairn.registry.imports import COPIED as ITEM_COPIED
from cairn.registry.imports import PRESENT as ITEM_PRESENT
from cairn.registry.imports import ImportedModel
from cairn.tracking.imports import MAX_POINTS_PER_CALL, ImportState

from . import summary as kinds
from .records import MODEL_FILES, RUN_FILES, FilesRoot, SourceLoggedModel, SourceRun
from .source import Source
from .summary import Summary

SOURCE = "mlflow"
_ITEM_KINDS = {"registered_model": kinds.REGISTERED_MODELS, "model_version": kinds.MODEL_VERSIONS,
               "alias": kinds.ALIASES}


class Progress(Protocol):
    """Told what the import is doing, e.g. to draw a progress bar; ``total`` None: not known yet."""

    def start(self, phase: str, total: int | None) -> None: ...
    def advance(self, phase: str) -> None: ...


class _Silent:
    def start(self, phase: str, total: int | None) -> None:
        pass

    def advance(self, phase: str) -> None:
        pass


def import_mlflow(source: Source, target: Backend, actor: Actor, progress: Progress | None = None) -> Summary:
    """Copy everything ``source`` holds that ``target`` lacks, and say what happened."""
    return _Copy(source, target, actor, progress or _Silent()).run()


class _Copy:
    def __init__(self, source: Source, target: Backend, actor: Actor, progress: Progress) -> None:
        self.source, self.target, self.actor, self.progress = source, target, actor, progress
        self.summary = Summary()
        self.experiments: dict[str, Experiment] = {}  # source id -> Cairn experiment
        # source location -> Cairn location of every experiment, run and logged model copied, so a
        # version whose source names a path inside one can be pointed at the same files in Cairn.
        self.relocations: dict[str, str] = {}

    def run(self) -> Summary:
        self._experiments()
        models = [m for source_id in self.experiments for m in self.source.logged_models(source_id)]
        self.progress.start(kinds.LOGGED_MODELS, len(models))
        for model in models:
            self._logged_model(model)
            self.progress.advance(kinds.LOGGED_MODELS)
        self.progress.start(kinds.RUNS, self.source.count_runs())
        for source_id in self.experiments:
            for run in self.source.runs(source_id):
                self._run(run)
                self.progress.advance(kinds.RUNS)
        registered = self.source.registered_models()
        self.progress.start(kinds.REGISTERED_MODELS, len(registered))
        for model in registered:
            self._registered_model(model)
            self.progress.advance(kinds.REGISTERED_MODELS)
        self.target.finish_import()
        return self.summary

    def _experiments(self) -> None:
        found = self.source.experiments()
        self.progress.start(kinds.EXPERIMENTS, len(found))
        for item in found:
            try:
                result = self.target.import_experiment(item.experiment)
            except StoreUnavailable:
                raise
            except CairnError as exc:
                self.summary.failed(kinds.EXPERIMENTS, item.experiment.name, exc.message)
            else:
                self.experiments[item.experiment.experiment_id] = result.experiment
                self._relocate(item.artifact_location, result.experiment.artifact_location)
                if result.created:
                    self.summary.copied(kinds.EXPERIMENTS)
                else:
                    self.summary.present(kinds.EXPERIMENTS)
            self.progress.advance(kinds.EXPERIMENTS)

    def _logged_model(self, item: SourceLoggedModel) -> None:
        model = dataclasses.replace(item.model, experiment_id=self.experiments[item.model.experiment_id].experiment_id)
        try:
            start = self.target.begin_logged_model_import(model, SOURCE)
            self._relocate(item.artifact_location, start.artifact_location)
            if start.state is not ImportState.STARTED:
                self.summary.present(kinds.LOGGED_MODELS)
                return
            self._files(FilesRoot(MODEL_FILES, model.model_id, item.artifact_location), start.artifact_location)
            self.target.complete_logged_model_import(model.model_id)
        except StoreUnavailable:
            raise
        except CairnError as exc:
            self.summary.failed(kinds.LOGGED_MODELS, model.model_id, exc.message)
        else:
            self.summary.copied(kinds.LOGGED_MODELS)

    def _run(self, item: SourceRun) -> None:
        experiment = self.experiments.get(item.run.experiment_id)
        if experiment is None:
            self.summary.failed(kinds.RUNS, item.run.run_id, f"its experiment {item.run.experiment_id} was not copied")
            return
        run = dataclasses.replace(item.run, experiment_id=experiment.experiment_id)
        try:
            start = self.target.begin_run_import(run, SOURCE)
            self._relocate(item.artifact_uri, start.artifact_location)
            if start.state is not ImportState.STARTED:
                self.summary.present(kinds.RUNS)
                return
            for points in self.source.metric_points(item, MAX_POINTS_PER_CALL):
                self.target.import_metric_points(run.run_id, points)
                self.summary.copied(kinds.METRIC_POINTS, len(points))
            self._files(FilesRoot(RUN_FILES, run.run_id, item.artifact_uri), start.artifact_location)
            self.target.complete_run_import(run.run_id)
        except StoreUnavailable:
            raise
        except CairnError as exc:
            self.summary.failed(kinds.RUNS, run.run_id, exc.message)
        else:
            self.summary.copied(kinds.RUNS)

    def _files(self, root: FilesRoot, location: str) -> None:
        files = self.source.list_files(root)
        if not files:
            return
        with tempfile.TemporaryDirectory(prefix="cairn-import-") as folder:  # created 0o700
            staged = Path(folder) / "file"
            for file in files:
                try:
                    # A file that cannot be read fails its run or model, even when the reason is
                    # the artifact store's (a broken link, a missing S3 object): the rest goes on.
                    self.source.fetch_file(root, file.path, staged)
                except CairnError as exc:
                    self.summary.failed(kinds.ARTIFACTS, f"{root.owner_id}/{file.path}", exc.message)
                    raise CairnError(f"file {file.path} could not be copied: {exc.message}") from exc
                self.target.upload_artifact(location, staged, file.path)
                self.summary.copied(kinds.ARTIFACTS)

    def _registered_model(self, model: ImportedModel) -> None:
        versions = [dataclasses.replace(v, source=self._relocated(v.source)) for v in model.versions]
        try:
            outcomes = self.target.import_registered_model(dataclasses.replace(model, versions=versions), self.actor,
                                                           SOURCE)
        except StoreUnavailable:
            raise
        except CairnError as exc:
            self.summary.failed(kinds.REGISTERED_MODELS, model.name, exc.message)
            return
        for outcome in outcomes:
            kind = _ITEM_KINDS.get(outcome.kind, kinds.MODEL_VERSIONS)
            if outcome.status == ITEM_COPIED:
                self.summary.copied(kind)
            elif outcome.status == ITEM_PRESENT:
                self.summary.present(kind)
            else:
                self.summary.failed(kind, outcome.key, outcome.note or "not copied")
                continue
            if outcome.note:
                self.summary.note(kind, outcome.key, outcome.note)

    def _relocate(self, source_location: str, cairn_location: str) -> None:
        if source_location and source_location.rstrip("/") != cairn_location.rstrip("/"):
            self.relocations[source_location.rstrip("/")] = cairn_location.rstrip("/")

    def _relocated(self, uri: str) -> str:
        """``uri`` moved from the place it names in the source to the same place in Cairn (the
        longest matching location wins); unchanged when it names none (``runs:/``, ``models:/``)."""
        prefix = uri.rstrip("/")
        while prefix:
            found = self.relocations.get(prefix)
            if found is not None:
                return found + uri[len(prefix):]
            prefix = prefix.rpartition("/")[0]
        return uri
