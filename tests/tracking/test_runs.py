from __future__ import annotations

import pytest

from cairn.entities import Metric, Param, RunTag, ViewType
from cairn.errors import InvalidParameter, NotFound
from cairn.tracking import experiments, run_data, runs


def test_create_run_records_name_user_and_artifact_uri(db):
    run = runs.create_run(db, "0", user_id="ada", run_name="first")
    assert run.info.run_name == "first"
    assert run.data.tags["mlflow.runName"] == "first"
    assert run.data.tags["mlflow.user"] == "ada"
    assert run.info.status == "RUNNING"
    assert run.info.artifact_uri == f"mlflow-artifacts:/0/{run.run_id}/artifacts"


def test_run_without_name_gets_a_generated_one(db):
    run = runs.create_run(db, "0")
    assert run.info.run_name.count("-") == 2


def test_create_run_in_missing_or_deleted_experiment_is_refused(db):
    with pytest.raises(NotFound):
        runs.create_run(db, "42")
    experiment_id = experiments.create_experiment(db, "gone")
    experiments.delete_experiment(db, experiment_id)
    with pytest.raises(InvalidParameter, match="deleted"):
        runs.create_run(db, experiment_id)


def test_missing_run_is_not_found(db):
    with pytest.raises(NotFound):
        runs.get_run(db, "0" * 32)


def test_update_run_to_terminal_status_sets_end_time(db):
    run = runs.create_run(db, "0")
    info = runs.update_run(db, run.run_id, status="FINISHED")
    assert info.status == "FINISHED" and info.end_time is not None


def test_update_run_with_unknown_status_is_invalid(db):
    run = runs.create_run(db, "0")
    with pytest.raises(InvalidParameter, match="status"):
        runs.update_run(db, run.run_id, status="DONE")


def test_rename_run_updates_the_name_tag(db):
    run = runs.create_run(db, "0", run_name="a")
    runs.update_run(db, run.run_id, run_name="b")
    got = runs.get_run(db, run.run_id)
    assert got.info.run_name == "b" and got.data.tags["mlflow.runName"] == "b"


def test_deleted_run_refuses_logging_until_restored(db):
    run = runs.create_run(db, "0")
    runs.delete_run(db, run.run_id)
    with pytest.raises(InvalidParameter, match="deleted"):
        run_data.log_metric(db, run.run_id, Metric("m", 1.0, 1, 0))
    assert runs.search_runs(db, ["0"]).items == []
    deleted = runs.search_runs(db, ["0"], run_view_type=ViewType.DELETED_ONLY).items
    assert [r.run_id for r in deleted] == [run.run_id]
    runs.restore_run(db, run.run_id)
    run_data.log_metric(db, run.run_id, Metric("m", 1.0, 1, 0))
    assert runs.get_run(db, run.run_id).data.metrics["m"].value == 1.0


def test_nested_run_parent_tag_is_kept(db):
    parent = runs.create_run(db, "0")
    child = runs.create_run(db, "0", tags={"mlflow.parentRunId": parent.run_id})
    found = runs.search_runs(db, ["0"], filter_string=f"tags.mlflow.parentRunId = '{parent.run_id}'")
    assert [r.run_id for r in found.items] == [child.run_id]


def test_get_run_returns_params_tags_latest_metrics(db):
    run = runs.create_run(db, "0")
    run_data.log_batch(
        db, run.run_id,
        metrics=[Metric("loss", 0.5, 10, 1), Metric("loss", 0.3, 11, 2), Metric("loss", 0.9, 12, 0)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("team", "a")],
    )
    got = runs.get_run(db, run.run_id)
    assert got.data.params == {"lr": "0.1"}
    assert got.data.tags["team"] == "a"
    assert got.data.metrics["loss"] == Metric("loss", 0.3, 11, 2)  # largest step wins


def test_the_latest_value_across_calls_follows_step_then_timestamp_then_value(db):
    # Each call is its own upsert, so the rule is the one in SQL (metric_blocks.newer_sql), not
    # the batch's own pick in Python; single points and two-key batches take different statements.
    run = runs.create_run(db, "0")
    sequence = [
        (Metric("loss", 0.5, 10, 3), Metric("loss", 0.5, 10, 3)),
        (Metric("loss", 0.1, 99, 2), Metric("loss", 0.5, 10, 3)),  # an older step changes nothing
        (Metric("loss", 0.2, 11, 3), Metric("loss", 0.2, 11, 3)),  # same step, later timestamp
        (Metric("loss", 0.1, 11, 3), Metric("loss", 0.2, 11, 3)),  # same step and time, smaller value
        (Metric("loss", 0.7, 11, 3), Metric("loss", 0.7, 11, 3)),  # same step and time, larger value
        (Metric("loss", 0.0, 1, 4), Metric("loss", 0.0, 1, 4)),  # a larger step wins whatever its time
    ]
    for point, latest in sequence:
        run_data.log_metric(db, run.run_id, point)
        run_data.log_batch(db, run.run_id, metrics=[point._replace(key="acc"), Metric("other", 1.0, 1, 0)])
        got = runs.get_run(db, run.run_id).data.metrics
        assert got["loss"] == latest and got["acc"] == latest._replace(key="acc")


def test_search_pages_with_opaque_tokens(db):
    created = [runs.create_run(db, "0", start_time=1000 + i).run_id for i in range(7)]
    seen: list[str] = []
    token = None
    while True:
        page = runs.search_runs(db, ["0"], max_results=3, page_token=token)
        seen += [r.run_id for r in page.items]
        token = page.next_page_token
        if token is None:
            break
    assert seen == list(reversed(created))  # default order: newest first


@pytest.mark.parametrize("max_results", [0, -1, 50_001])
def test_search_max_results_out_of_range_is_invalid(db, max_results):
    with pytest.raises(InvalidParameter, match="max_results"):
        runs.search_runs(db, ["0"], max_results=max_results)
