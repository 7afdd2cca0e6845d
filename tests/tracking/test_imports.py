"""Runs, experiments and logged models copied in from another tracker keep their ids, times and
states; an import is begun, fed and completed, so one left half done is written afresh and one
completed is never written again."""

from __future__ import annotations

import math

import pytest

from cairn.entities import DatasetInput, Dataset, Metric
from cairn.errors import Conflict, NotFound
from cairn.store.database import Database
from cairn.tracking import experiments, imports, logged_model_imports, logged_models, metrics_history, runs
from cairn.tracking.imports import ImportedExperiment, ImportedRun, ImportState
from cairn.tracking.logged_model_imports import ImportedLoggedModel
from cairn.tracking.logged_models import READY, ModelLink, ModelMetric

RUN_ID = "0123456789abcdef0123456789abcdef"


def _run(**fields: object) -> ImportedRun:
    values: dict[str, object] = {
        "run_id": RUN_ID, "experiment_id": "0", "run_name": "old-run", "user_id": "ana", "status": "FINISHED",
        "start_time": 1_000, "end_time": 2_000, "params": {"lr": "0.1"},
        "tags": {"mlflow.runName": "old-run", "team": "growth"},
    }
    values.update(fields)
    return ImportedRun(**values)  # type: ignore[arg-type]


def _history(db: Database, key: str = "loss") -> list[tuple[int, int, float]]:
    page = metrics_history.get_metric_history(db, RUN_ID, key, None, None)
    return [(m.step, m.timestamp, m.value) for m in page.items]


def test_an_imported_run_keeps_its_id_name_user_times_status_and_data(db: Database) -> None:
    inputs = [DatasetInput(Dataset("train", "abc123", "local", "/data/train.csv"), {"mlflow.data.context": "training"})]
    start = imports.begin_run_import(db, _run(inputs=inputs), "mlflow")
    imports.import_metric_points(db, RUN_ID, [Metric("loss", 0.5, 10, 0), Metric("loss", math.nan, 11, 1)])
    imports.complete_run_import(db, RUN_ID)

    assert start.state is ImportState.STARTED and start.artifact_location == f"mlflow-artifacts:/0/{RUN_ID}/artifacts"
    run = runs.get_run(db, RUN_ID)
    assert (run.info.run_name, run.info.user_id, run.info.status, run.info.start_time, run.info.end_time) == (
        "old-run", "ana", "FINISHED", 1_000, 2_000)
    assert run.data.params == {"lr": "0.1"} and run.data.tags["team"] == "growth"
    assert [i.dataset.name for i in run.inputs] == ["train"]
    assert _history(db)[0] == (0, 10, 0.5) and math.isnan(_history(db)[1][2])


def test_a_deleted_run_comes_in_deleted(db: Database) -> None:
    imports.begin_run_import(db, _run(lifecycle_stage="deleted"), "mlflow")
    assert runs.get_run(db, RUN_ID).info.lifecycle_stage == "deleted"


def test_a_run_begun_again_before_completion_is_written_afresh(db: Database) -> None:
    imports.begin_run_import(db, _run(params={"lr": "0.1", "stale": "x"}), "mlflow")
    imports.import_metric_points(db, RUN_ID, [Metric("loss", 0.5, 10, 0), Metric("stale", 1.0, 10, 0)])
    # The import stopped here; the next one begins the run again.
    again = imports.begin_run_import(db, _run(), "mlflow")
    imports.import_metric_points(db, RUN_ID, [Metric("loss", 0.5, 10, 0), Metric("loss", 0.4, 11, 1)])
    imports.complete_run_import(db, RUN_ID)

    assert again.state is ImportState.STARTED
    run = runs.get_run(db, RUN_ID)
    assert run.data.params == {"lr": "0.1"} and set(run.data.metrics) == {"loss"}
    assert _history(db) == [(0, 10, 0.5), (1, 11, 0.4)]


def test_a_completed_run_is_not_written_again(db: Database) -> None:
    imports.begin_run_import(db, _run(), "mlflow")
    imports.complete_run_import(db, RUN_ID)
    again = imports.begin_run_import(db, _run(params={"lr": "changed"}), "mlflow")
    assert again.state is ImportState.COMPLETE
    assert runs.get_run(db, RUN_ID).data.params == {"lr": "0.1"}
    with pytest.raises(Conflict, match="complete"):
        imports.import_metric_points(db, RUN_ID, [Metric("loss", 0.1, 1, 0)])


def test_a_run_no_import_wrote_is_left_alone(db: Database) -> None:
    native = runs.create_run(db, "0", "bob")
    found = imports.begin_run_import(db, _run(run_id=native.run_id), "mlflow")
    assert found.state is ImportState.PRESENT
    assert runs.get_run(db, native.run_id).info.user_id == "bob"
    with pytest.raises(Conflict, match="none was begun"):
        imports.import_metric_points(db, native.run_id, [Metric("loss", 0.1, 1, 0)])


def test_a_link_to_a_logged_model_not_in_cairn_is_refused(db: Database) -> None:
    with pytest.raises(NotFound, match="import it before the runs"):
        imports.begin_run_import(db, _run(model_links=[ModelLink("m-missing", "output")]), "mlflow")


def test_an_experiment_keeps_its_source_id_when_it_is_free(db: Database) -> None:
    kept = imports.import_experiment(db, ImportedExperiment("7", "churn", creation_time=5, last_update_time=6))
    moved = imports.import_experiment(db, ImportedExperiment("7", "vision"))
    created_later = experiments.create_experiment(db, "later")

    assert kept.created and kept.experiment.experiment_id == "7"
    assert kept.experiment.artifact_location == "mlflow-artifacts:/7"
    assert (kept.experiment.creation_time, kept.experiment.last_update_time) == (5, 6)
    assert moved.created and moved.experiment.experiment_id not in ("0", "7")
    assert created_later not in ("0", "7", moved.experiment.experiment_id)


def test_an_experiment_already_there_gains_only_the_tags_it_lacks(db: Database) -> None:
    experiment_id = experiments.create_experiment(db, "churn", tags={"team": "growth"})
    found = imports.import_experiment(db, ImportedExperiment("3", "churn", "deleted", tags={"team": "x", "new": "y"}))
    assert not found.created and found.experiment.experiment_id == experiment_id
    assert found.experiment.tags == {"team": "growth", "new": "y"}
    assert found.experiment.lifecycle_stage == "active"


def _model(**fields: object) -> ImportedLoggedModel:
    values: dict[str, object] = {
        "model_id": "m-0123456789abcdef", "experiment_id": "0", "name": "model", "creation_timestamp_ms": 5,
        "last_updated_timestamp_ms": 6, "status": READY, "source_run_id": RUN_ID, "tags": {"k": "v"},
        "params": {"alpha": "1"}, "metrics": [ModelMetric("acc", 0.9, 7, 0, "m-0123456789abcdef", RUN_ID)],
    }
    values.update(fields)
    return ImportedLoggedModel(**values)  # type: ignore[arg-type]


def test_a_logged_model_keeps_its_id_and_runs_link_to_it(db: Database) -> None:
    start = logged_model_imports.begin_logged_model_import(db, _model(), "mlflow")
    logged_model_imports.complete_logged_model_import(db, "m-0123456789abcdef")
    imports.begin_run_import(db, _run(model_links=[ModelLink("m-0123456789abcdef", "output")]), "mlflow")

    assert start.artifact_location == "mlflow-artifacts:/0/models/m-0123456789abcdef/artifacts"
    model = logged_models.get_logged_model(db, "m-0123456789abcdef")
    assert (model.status, model.creation_timestamp_ms, model.tags, model.params) == (READY, 5, {"k": "v"},
                                                                                       {"alpha": "1"})
    assert [(m.key, m.value) for m in model.metrics] == [("acc", 0.9)]
    links = logged_models.run_model_links(db, [RUN_ID])[RUN_ID]
    assert [(link.model_id, link.direction) for link in links] == [("m-0123456789abcdef", "output")]
    assert logged_model_imports.begin_logged_model_import(db, _model(), "mlflow").state is ImportState.COMPLETE


def test_a_logged_model_begun_again_keeps_the_runs_links_and_replaces_its_details(db: Database) -> None:
    logged_model_imports.begin_logged_model_import(db, _model(tags={"stale": "x"}), "mlflow")
    imports.begin_run_import(db, _run(model_links=[ModelLink("m-0123456789abcdef", "output")]), "mlflow")
    logged_model_imports.begin_logged_model_import(db, _model(), "mlflow")

    model = logged_models.get_logged_model(db, "m-0123456789abcdef")
    assert model.tags == {"k": "v"} and len(model.metrics) == 1
    assert logged_models.run_model_links(db, [RUN_ID])[RUN_ID]
