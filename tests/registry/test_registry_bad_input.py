"""Bad input to the registry: the right cairn error (MLflow code and status), and nothing written."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.entities import Actor
from cairn.errors import CairnError, InvalidParameter, NotFound

ALICE = Actor("alice")

CASES = {
    "unknown model": (lambda db: registry.promote(db, "nope", 1, "Staging", ALICE), NotFound),
    "unknown version": (lambda db: registry.promote(db, "churn", 9, "Staging", ALICE), NotFound),
    "bad stage name": (lambda db: registry.promote(db, "churn", 1, "Prod", ALICE), InvalidParameter),
    "empty stage": (lambda db: registry.promote(db, "churn", 1, "", ALICE), InvalidParameter),
    "empty model name": (lambda db: registry.create_registered_model(db, "", ALICE), InvalidParameter),
    "blank model name": (lambda db: registry.create_registered_model(db, "   ", ALICE), InvalidParameter),
    "slash in name": (lambda db: registry.create_registered_model(db, "a/b", ALICE), InvalidParameter),
    "alias on a missing version": (lambda db: registry.set_alias(db, "churn", "champion", 7, ALICE), NotFound),
    "alias on a missing model": (lambda db: registry.set_alias(db, "nope", "champion", 1, ALICE), NotFound),
    "reserved alias latest": (lambda db: registry.set_alias(db, "churn", "Latest", 1, ALICE), InvalidParameter),
    "alias that reads as a version": (lambda db: registry.set_alias(db, "churn", "v2", 1, ALICE), InvalidParameter),
    "alias with a space": (lambda db: registry.set_alias(db, "churn", "the best", 1, ALICE), InvalidParameter),
    "version zero": (lambda db: registry.get_model_version(db, "churn", 0), InvalidParameter),
    "version not a number": (lambda db: registry.promote(db, "churn", "one", "Staging", ALICE), InvalidParameter),
    "version as a bool": (lambda db: registry.promote(db, "churn", True, "Staging", ALICE), InvalidParameter),
    # Numbers and names past what the store's columns hold: the same error on SQLite and PostgreSQL.
    "version past 32 bits": (lambda db: registry.get_model_version(db, "churn", 2**31), InvalidParameter),
    "alias on a version past 32 bits": (lambda db: registry.set_alias(db, "churn", "a", 2**40, ALICE),
                                        InvalidParameter),
    "acting user name too long": (lambda db: registry.set_alias(db, "churn", "a", 1, Actor("u" * 300)),
                                  InvalidParameter),
    "source naming a run id no run can have": (
        lambda db: registry.create_model_version(db, "churn", f"runs:/{'a' * 64}/model", ALICE), InvalidParameter),
    "run link too long": (lambda db: registry.create_model_version(db, "churn", "models:/churn/1", ALICE,
                                                                   run_link="https://ci/" + "x" * 1000),
                          InvalidParameter),
    "deleting a missing alias": (lambda db: registry.delete_alias(db, "churn", "champion", ALICE), NotFound),
    "rename to an empty name": (lambda db: registry.rename_registered_model(db, "churn", "", ALICE), InvalidParameter),
    "unknown alias lookup": (lambda db: registry.get_version_by_alias(db, "churn", "ghost"), NotFound),
    "approving with nothing pending": (lambda db: registry.approve_transition_request(db, "churn", 1, ALICE),
                                       NotFound),
    "audit of a model that never existed": (lambda db: registry.list_audit_events(db, "nope"), NotFound),
    "NUL in a new model name": (lambda db: registry.create_registered_model(db, "churn\x00v2", ALICE),
                                InvalidParameter),
    "tab in a new model name": (lambda db: registry.create_registered_model(db, "churn\tv2", ALICE), InvalidParameter),
    "DEL in a new model name": (lambda db: registry.create_registered_model(db, "churn\x7f", ALICE), InvalidParameter),
    "rename to a name with a newline": (lambda db: registry.rename_registered_model(db, "churn", "churn\nv2", ALICE),
                                        InvalidParameter),
    "registering under a name with a control character": (
        lambda db: registry.register_model(db, "mlflow-artifacts:/0/x", "new\x1bmodel", ALICE), InvalidParameter),
    "alias ending in a newline": (lambda db: registry.set_alias(db, "churn", "champion\n", 1, ALICE),
                                  InvalidParameter),
    "alias with a NUL": (lambda db: registry.set_alias(db, "churn", "cham\x00pion", 1, ALICE), InvalidParameter),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_raises_the_mlflow_error_and_writes_nothing(db, make_versions, row_counts, case):
    make_versions(1)
    call, expected = CASES[case]
    before = row_counts()
    with pytest.raises(expected) as caught:
        call(db)
    assert row_counts() == before
    assert 400 <= caught.value.http_status < 500
    assert caught.value.to_wire()["error_code"] in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}


def test_error_codes_match_mlflow(db, make_versions):
    make_versions(1)
    with pytest.raises(CairnError) as missing:
        registry.get_model_version(db, "churn", 5)
    with pytest.raises(CairnError) as bad_stage:
        registry.promote(db, "churn", 1, "Shipping", ALICE)
    assert (missing.value.error_code, missing.value.http_status) == ("RESOURCE_DOES_NOT_EXIST", 404)
    assert (bad_stage.value.error_code, bad_stage.value.http_status) == ("INVALID_PARAMETER_VALUE", 400)
    assert "Staging, Production" in bad_stage.value.message


@pytest.mark.parametrize(("call", "shown"), [
    (lambda db: registry.create_registered_model(db, "churn\tv2", ALICE), "U+0009"),
    (lambda db: registry.rename_registered_model(db, "churn", "churn\x00", ALICE), "U+0000"),
    (lambda db: registry.set_alias(db, "churn", "champion\n", 1, ALICE), "U+000A"),
])
def test_control_characters_are_refused_with_a_message_naming_them(db, make_versions, call, shown):
    make_versions(1)
    with pytest.raises(InvalidParameter) as caught:
        call(db)
    assert "control character" in caught.value.message
    assert shown in caught.value.message and "\n" not in caught.value.message and "\x00" not in caught.value.message


def test_registry_errors_start_with_mlflows_words(db, make_versions):
    make_versions(1)
    with pytest.raises(CairnError) as missing_model:
        registry.get_registered_model(db, "nope")
    with pytest.raises(CairnError) as missing_version:
        registry.get_model_version(db, "churn", 5)
    with pytest.raises(CairnError) as taken:
        registry.create_registered_model(db, "churn", ALICE)
    with pytest.raises(CairnError) as bad_alias:
        registry.set_alias(db, "churn", "the best", 1, ALICE)
    assert missing_model.value.message.startswith("Registered Model with name=nope not found")
    assert missing_version.value.message.startswith("Model Version (name=churn, version=5) not found")
    assert taken.value.message.startswith("Registered Model (name=churn) already exists.")
    assert bad_alias.value.message.startswith("Invalid alias name: 'the best'. Names may only contain")


def test_a_source_whose_files_would_lie_past_the_stores_location_limit_is_refused(db, run_id, make_versions,
                                                                                   row_counts):
    make_versions(1)
    before = row_counts()
    source = f"runs:/{run_id}/" + "/".join(["p" * 200] * 4) + "/" + "q" * 150  # within the source limit
    with pytest.raises(InvalidParameter, match="resolves to a location of"):
        registry.create_model_version(db, "churn", source, ALICE, run_id=run_id)
    assert row_counts() == before
