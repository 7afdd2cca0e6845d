"""The import half of the REST backend: Cairn's ``/api/cairn/v1/imports/...`` routes, which only
an admin may call on a server with ``--auth``. Artifacts go through the ordinary proxy routes
(``upload_artifact``). Field names follow ``tracking.imports`` and ``registry.imports``; tags and
params travel as MLflow's ``[{key, value}]`` lists and doubles as proto3 JSON spells them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.entities import Actor, Experiment, Metric
from cairn.registry.imports import ImportedModel, ItemOutcome
from cairn.tracking.imports import (
    ExperimentImport,
    ImportedExperiment,
    ImportedRun,
    ImportStart,
    ImportState,
)
from cairn.tracking.logged_model_imports import ImportedLoggedModel

from .rest_transport import CAIRN, RestTransport, pairs, tags_of, wire_double

IMPORTS = CAIRN + "/imports"


class RestImports(RestTransport):
    """Mixed into ``RestBackend``."""

    def import_experiment(self, experiment: ImportedExperiment) -> ExperimentImport:
        body = {"experiment": {
            "experiment_id": experiment.experiment_id, "name": experiment.name,
            "lifecycle_stage": experiment.lifecycle_stage, "creation_time": experiment.creation_time,
            "last_update_time": experiment.last_update_time, "tags": pairs(dict(experiment.tags)),
        }}  # fmt: skip
        found = self._request("POST", IMPORTS + "/experiments", body)
        e = found["experiment"]
        return ExperimentImport(Experiment(
            experiment_id=str(e["experiment_id"]), name=e["name"], artifact_location=e.get("artifact_location", ""),
            lifecycle_stage=e.get("lifecycle_stage", "active"), creation_time=_int(e.get("creation_time")),
            last_update_time=_int(e.get("last_update_time")), tags=tags_of(e.get("tags")),
        ), bool(found.get("created", False)))  # fmt: skip

    def begin_run_import(self, run: ImportedRun, source: str) -> ImportStart:
        body = {"source": source, "run": {
            "run_id": run.run_id, "experiment_id": run.experiment_id, "run_name": run.run_name,
            "user_id": run.user_id, "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
            "lifecycle_stage": run.lifecycle_stage, "deleted_time": run.deleted_time,
            "params": pairs(dict(run.params)), "tags": pairs(dict(run.tags)),
            "datasets": [
                {"dataset": {"name": d.dataset.name, "digest": d.dataset.digest, "source_type": d.dataset.source_type,
                             "source": d.dataset.source, "schema": d.dataset.schema, "profile": d.dataset.profile},
                 "tags": pairs(dict(d.tags))}
                for d in run.inputs
            ],
            "model_links": [{"model_id": m.model_id, "direction": m.direction, "step": m.step}
                            for m in run.model_links],
        }}  # fmt: skip
        return _start(self._request("POST", IMPORTS + "/runs/begin", body))

    def import_metric_points(self, run_id: str, points: Sequence[Metric]) -> None:
        body = {"run_id": run_id, "metrics": [
            {"key": key, "value": wire_double(value), "timestamp": timestamp, "step": step}
            for key, value, timestamp, step in points
        ]}  # fmt: skip
        self._request("POST", IMPORTS + "/runs/metrics", body)

    def complete_run_import(self, run_id: str) -> None:
        self._request("POST", IMPORTS + "/runs/complete", {"run_id": run_id})

    def finish_import(self) -> None:
        self._request("POST", IMPORTS + "/finish", {})

    def begin_logged_model_import(self, model: ImportedLoggedModel, source: str) -> ImportStart:
        body = {"source": source, "model": {
            "model_id": model.model_id, "experiment_id": model.experiment_id, "name": model.name,
            "creation_timestamp_ms": model.creation_timestamp_ms,
            "last_updated_timestamp_ms": model.last_updated_timestamp_ms, "status": model.status,
            "lifecycle_stage": model.lifecycle_stage, "model_type": model.model_type,
            "source_run_id": model.source_run_id, "status_message": model.status_message,
            "tags": pairs(dict(model.tags)), "params": pairs(dict(model.params)),
            "metrics": [
                {"key": m.key, "value": wire_double(m.value), "timestamp": m.timestamp, "step": m.step,
                 "run_id": m.run_id, "dataset_name": m.dataset_name, "dataset_digest": m.dataset_digest}
                for m in model.metrics
            ],
        }}  # fmt: skip
        return _start(self._request("POST", IMPORTS + "/logged-models/begin", body))

    def complete_logged_model_import(self, model_id: str) -> None:
        self._request("POST", IMPORTS + "/logged-models/complete", {"model_id": model_id})

    def import_registered_model(self, model: ImportedModel, actor: Actor, source: str) -> list[ItemOutcome]:
        body = {"source": source, "model": {
            "name": model.name, "creation_timestamp": model.creation_timestamp,
            "last_updated_timestamp": model.last_updated_timestamp, "description": model.description,
            "tags": pairs(dict(model.tags)), "last_version": model.last_version,
            "aliases": [{"alias": alias, "version": version} for alias, version in model.aliases.items()],
            "versions": [
                {"version": v.version, "creation_timestamp": v.creation_timestamp,
                 "last_updated_timestamp": v.last_updated_timestamp, "current_stage": v.current_stage,
                 "description": v.description, "source": v.source, "run_id": v.run_id, "run_link": v.run_link,
                 "status": v.status, "status_message": v.status_message, "user_id": v.user_id,
                 "tags": pairs(dict(v.tags))}
                for v in model.versions
            ],
        }}  # fmt: skip
        found = self._request("POST", IMPORTS + "/registered-models", body, actor=actor)
        return [ItemOutcome(o["kind"], o["key"], o["status"], o.get("note")) for o in found.get("outcomes", [])]


def _start(found: dict[str, Any]) -> ImportStart:
    return ImportStart(ImportState(found["state"]), str(found["artifact_location"]))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
