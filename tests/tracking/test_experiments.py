from __future__ import annotations

import re

import pytest

from cairn.entities import ViewType
from cairn.errors import AlreadyExists, InvalidParameter, NotFound
from cairn.tracking import experiments, logged_models, runs
from cairn.tracking.locations import MAX_ARTIFACT_LOCATION_LENGTH


@pytest.mark.parametrize("experiment_id", [str(2**31), "999999999999999999"])
def test_experiment_ids_past_the_stores_32_bit_keys_are_refused_alike_on_every_store(db, experiment_id):
    for call in (lambda: experiments.get_experiment(db, experiment_id), lambda: runs.create_run(db, experiment_id),
                 lambda: runs.search_runs(db, ["0", experiment_id])):
        with pytest.raises(InvalidParameter, match="experiment ids go up to 2147483647"):
            call()


def test_default_experiment_exists_in_a_new_store(db):
    default = experiments.get_experiment(db, "0")
    assert default.name == "Default"
    assert default.artifact_location == "mlflow-artifacts:/0"


def test_create_and_get_by_name_returns_tags_and_default_location(db):
    experiment_id = experiments.create_experiment(db, "churn", tags={"team": "growth"})
    found = experiments.get_experiment_by_name(db, "churn")
    assert found is not None and found.experiment_id == experiment_id
    assert found.tags == {"team": "growth"}
    assert found.artifact_location == f"mlflow-artifacts:/{experiment_id}"


def test_duplicate_name_is_already_exists(db):
    experiments.create_experiment(db, "churn")
    with pytest.raises(AlreadyExists, match="already exists"):
        experiments.create_experiment(db, "churn")


def test_missing_experiment_by_name_is_none_and_by_id_is_not_found(db):
    assert experiments.get_experiment_by_name(db, "nope") is None
    with pytest.raises(NotFound):
        experiments.get_experiment(db, "999")


@pytest.mark.parametrize("name", ["", "   ", "x" * 501])
def test_invalid_experiment_names_are_refused(db, name):
    with pytest.raises(InvalidParameter):
        experiments.create_experiment(db, name)


@pytest.mark.parametrize(("char", "shown"), [("\x00", "U+0000"), ("\t", "U+0009"), ("\n", "U+000A"),
                                             ("\x1f", "U+001F"), ("\x7f", "U+007F")])
def test_experiment_names_with_control_characters_are_refused_saying_why(db, char, shown):
    with pytest.raises(InvalidParameter, match=re.escape(f"control character {shown}")):
        experiments.create_experiment(db, f"churn{char}v2")
    experiment_id = experiments.create_experiment(db, "churn")
    with pytest.raises(InvalidParameter, match=re.escape(f"control character {shown}")):
        experiments.rename_experiment(db, experiment_id, f"churn{char}v2")
    assert [e.name for e in experiments.search_experiments(db).items] == ["churn", "Default"]


def test_experiment_errors_start_with_mlflows_words(db):
    experiments.create_experiment(db, "churn")
    with pytest.raises(AlreadyExists) as exists:
        experiments.create_experiment(db, "churn")
    with pytest.raises(NotFound) as missing:
        experiments.get_experiment(db, "999")
    assert exists.value.message.startswith("Experiment(name=churn) already exists.")
    assert missing.value.message.startswith("No Experiment with id=999 exists")


@pytest.mark.parametrize(("location", "why"), [
    ("/etc", "Local paths and file: URIs would name the server's disk"),
    ("file:///etc", "Local paths and file: URIs would name the server's disk"),
    ("mlflow-artifacts:/../x", "must not contain '..' segments"),
    ("s3://bucket/../x", "must not contain '..' segments"),
    ("s3://bucket/x?versionId=1", "start of a query or fragment"),
    ("s3:///etc", "must be followed by a bucket or host name"),
    ("ftp://host/x", "Local paths and file: URIs"),
])
def test_artifact_location_outside_the_store_is_refused_saying_why(db, location, why):
    with pytest.raises(InvalidParameter, match=re.escape(why)):
        experiments.create_experiment(db, "x", artifact_location=location)


def test_an_artifact_location_leaves_room_for_the_runs_and_models_under_it(db):
    longest = "s3://bucket/" + "/".join(["a" * 200] * 4) + "/" + "b" * (MAX_ARTIFACT_LOCATION_LENGTH - 816)
    assert len(longest) == MAX_ARTIFACT_LOCATION_LENGTH
    experiment_id = experiments.create_experiment(db, "deep", artifact_location=longest)
    run = runs.create_run(db, experiment_id)
    model = logged_models.create_logged_model(db, experiment_id, "m", source_run_id=run.run_id)
    assert run.info.artifact_uri.startswith(longest) and model.artifact_location.startswith(longest)
    with pytest.raises(InvalidParameter, match=f"the limit is {MAX_ARTIFACT_LOCATION_LENGTH}"):
        experiments.create_experiment(db, "deeper", artifact_location=longest + "c")


@pytest.mark.parametrize("location", ["s3://bucket/team-a", "gs://bucket/x", "dbfs:/ml/experiments",
                                      "wasbs://box@acct.blob.core.windows.net/x"])
def test_remote_artifact_location_is_recorded_as_given_and_its_runs_live_under_it(db, location):
    experiment_id = experiments.create_experiment(db, "remote", artifact_location=location)
    assert experiments.get_experiment(db, experiment_id).artifact_location == location
    run = runs.create_run(db, experiment_id, "alice")
    assert run.info.artifact_uri == f"{location}/{run.run_id}/artifacts"


def test_rename_delete_restore_lifecycle(db):
    experiment_id = experiments.create_experiment(db, "a")
    experiments.rename_experiment(db, experiment_id, "b")
    assert experiments.get_experiment(db, experiment_id).name == "b"
    experiments.delete_experiment(db, experiment_id)
    assert experiments.get_experiment(db, experiment_id).lifecycle_stage == "deleted"
    active = experiments.search_experiments(db, ViewType.ACTIVE_ONLY).items
    deleted = experiments.search_experiments(db, ViewType.DELETED_ONLY).items
    assert experiment_id not in [e.experiment_id for e in active]
    assert [e.experiment_id for e in deleted] == [experiment_id]
    experiments.restore_experiment(db, experiment_id)
    assert experiments.get_experiment(db, experiment_id).lifecycle_stage == "active"


def test_default_experiment_cannot_be_deleted(db):
    with pytest.raises(InvalidParameter):
        experiments.delete_experiment(db, "0")


def test_search_experiments_pages_with_token(db):
    for i in range(5):
        experiments.create_experiment(db, f"e{i}")
    first = experiments.search_experiments(db, max_results=4)
    assert len(first.items) == 4 and first.next_page_token
    second = experiments.search_experiments(db, max_results=4, page_token=first.next_page_token)
    assert len(second.items) == 2 and second.next_page_token is None
    names = {e.name for e in first.items + second.items}
    assert names == {"Default", "e0", "e1", "e2", "e3", "e4"}


def test_bogus_page_token_is_invalid_parameter(db):
    with pytest.raises(InvalidParameter, match="page_token"):
        experiments.search_experiments(db, page_token="not-a-token")


def test_experiment_tags_set_and_overwrite(db):
    experiment_id = experiments.create_experiment(db, "t")
    experiments.set_experiment_tag(db, experiment_id, "k", "v1")
    experiments.set_experiment_tag(db, experiment_id, "k", "v2")
    assert experiments.get_experiment(db, experiment_id).tags == {"k": "v2"}


def test_experiment_activity_counts_active_runs_and_their_latest_time(db):
    busy = experiments.create_experiment(db, "busy")
    idle = experiments.create_experiment(db, "idle")
    runs.create_run(db, busy, start_time=1_000)
    second = runs.create_run(db, busy, start_time=2_000)
    runs.update_run(db, second.run_id, status="FINISHED", end_time=5_000)
    deleted = runs.create_run(db, busy, start_time=9_000)
    runs.delete_run(db, deleted.run_id)
    assert experiments.experiment_activity(db, [busy, idle]) == {busy: (2, 5_000), idle: (0, None)}
