"""A registered model copied in from another tracker keeps its version numbers, stages, aliases,
tags and times; its present state opens the audit trail, marked as imported, without announcing
anything to webhooks; Cairn's rules (one Production version, numbers never reused) hold."""

from __future__ import annotations

from typing import Any

from cairn import registry
from cairn.entities import Actor
from cairn.registry.imports import FAILED, PRESENT, ImportedModel, ImportedVersion, import_registered_model
from cairn.store.database import Database

RUN_A, RUN_B = "a" * 32, "b" * 32


def _version(number: int, stage: str = "None", run_id: str = RUN_A, **fields: Any) -> ImportedVersion:
    return ImportedVersion(version=number, creation_timestamp=100 + number, last_updated_timestamp=200 + number,
                           current_stage=stage, source=f"mlflow-artifacts:/1/{run_id}/artifacts/model",
                           run_id=run_id, user_id="ana", **fields)


def _model(*versions: ImportedVersion, **fields: Any) -> ImportedModel:
    values: dict[str, Any] = {"name": "churn", "creation_timestamp": 50, "last_updated_timestamp": 60,
                              "description": "churn classifier", "tags": {"domain": "retention"}}
    values.update(fields)
    return ImportedModel(versions=versions, last_version=max([v.version for v in versions], default=0), **values)


def test_versions_keep_their_numbers_stages_times_and_tags(db: Database, alice: Actor) -> None:
    outcomes = import_registered_model(db, _model(
        _version(1, "Archived"), _version(2, "Staging", description="candidate"),
        _version(3, "Production", tags={"validated": "yes"}), _version(5, "None"),
        aliases={"champion": 3}), alice, "mlflow")

    assert {(o.kind, o.key, o.status) for o in outcomes} == {
        ("registered_model", "churn", "copied"), ("model_version", "churn/1", "copied"),
        ("model_version", "churn/2", "copied"), ("model_version", "churn/3", "copied"),
        ("model_version", "churn/5", "copied"), ("alias", "churn@champion", "copied")}
    model = registry.get_registered_model(db, "churn")
    assert (model.description, model.tags, model.aliases, model.creation_timestamp, model.last_updated_timestamp) == (
        "churn classifier", {"domain": "retention"}, {"champion": 3}, 50, 60)
    found = {v.version: v for v in registry.search_model_versions(db, "churn").items}
    assert {n: v.current_stage for n, v in found.items()} == {1: "Archived", 2: "Staging", 3: "Production", 5: "None"}
    assert (found[2].description, found[3].tags, found[3].user_id, found[3].creation_timestamp) == (
        "candidate", {"validated": "yes"}, "ana", 103)
    assert found[1].artifacts_retained_until is not None  # archived: its files are kept for the retention period


def test_numbers_the_source_used_are_never_given_again(db: Database, alice: Actor) -> None:
    deleted = _version(7, "Deleted_Internal")
    import_registered_model(db, _model(_version(1), deleted), alice, "mlflow")
    assert [v.version for v in registry.search_model_versions(db, "churn").items] == [1]
    registered = registry.register_model(db, f"mlflow-artifacts:/1/{RUN_A}/artifacts/model", "churn", alice)
    assert registered.version == 8


def test_of_several_production_versions_the_newest_stays_and_the_others_are_archived(
    db: Database, alice: Actor,
) -> None:
    outcomes = import_registered_model(db, _model(_version(1, "Production"), _version(2, "Production")), alice,
                                       "mlflow")
    stages = {v.version: v.current_stage for v in registry.search_model_versions(db, "churn").items}
    assert stages == {1: "Archived", 2: "Production"}
    (note,) = [o.note for o in outcomes if o.key == "churn/1"]
    assert note is not None and "one version per model is in Production" in note


def test_the_present_state_opens_the_audit_trail_marked_as_imported(db: Database, alice: Actor) -> None:
    import_registered_model(db, _model(_version(1, "Staging"), aliases={"candidate": 1}), alice, "mlflow")
    events = registry.list_audit_events(db, "churn")
    assert [(e.action, e.version, e.from_value, e.to_value, e.alias) for e in events] == [
        ("model_created", None, None, None, None),
        ("version_created", 1, None, "None", None),
        ("promote", 1, "None", "Staging", None),
        ("alias_set", 1, None, "1", "candidate"),
    ]
    assert all(e.actor == "alice" and e.reason == "imported" and e.details["imported_from"] == "mlflow"
               for e in events)
    assert events[1].details["source_time"] == 101 and events[2].details["source_time"] == 201


def test_importing_announces_nothing_to_webhooks(db: Database, alice: Actor) -> None:
    registry.create_webhook(db, "http://127.0.0.1:9/hook", alice, allow_private=True)
    import_registered_model(db, _model(_version(1, "Production"), aliases={"champion": 1}), alice, "mlflow")
    assert registry.list_deliveries(db) == []


def test_importing_again_copies_only_what_is_new(db: Database, alice: Actor) -> None:
    import_registered_model(db, _model(_version(1)), alice, "mlflow")
    outcomes = import_registered_model(db, _model(_version(1), _version(2), aliases={"champion": 2}), alice, "mlflow")
    assert [(o.key, o.status) for o in outcomes] == [
        ("churn", "present"), ("churn/1", "present"), ("churn/2", "copied"), ("churn@champion", "copied")]
    assert len(registry.list_audit_events(db, "churn")) == 4  # model, v1, v2, alias: nothing twice


def test_an_alias_set_elsewhere_in_cairn_is_left_where_it_points(db: Database, alice: Actor) -> None:
    import_registered_model(db, _model(_version(1), _version(2)), alice, "mlflow")
    registry.set_alias(db, "churn", "champion", 1, alice)
    outcomes = import_registered_model(db, _model(_version(1), _version(2), aliases={"champion": 2}), alice, "mlflow")
    (alias,) = [o for o in outcomes if o.kind == "alias"]
    assert alias.status == PRESENT and alias.note is not None and "left as is" in alias.note
    assert registry.get_version_by_alias(db, "churn", "champion").version == 1


def test_a_number_taken_by_another_run_fails_with_the_reason(db: Database, alice: Actor) -> None:
    import_registered_model(db, _model(_version(1, run_id=RUN_A)), alice, "mlflow")
    outcomes = import_registered_model(db, _model(_version(1, run_id=RUN_B)), alice, "mlflow")
    (version,) = [o for o in outcomes if o.kind == "model_version"]
    assert version.status == FAILED and version.note is not None and "another model" in version.note


def test_a_source_cairn_refuses_fails_that_version_only(db: Database, alice: Actor) -> None:
    local = ImportedVersion(version=2, creation_timestamp=1, last_updated_timestamp=1,
                            source="/home/ana/mlruns/1/model", run_id=RUN_A)
    outcomes = import_registered_model(db, _model(_version(1), local), alice, "mlflow")
    statuses = {o.key: (o.status, o.note) for o in outcomes}
    assert statuses["churn/1"][0] == "copied"
    assert statuses["churn/2"][0] == FAILED and "server's disk" in (statuses["churn/2"][1] or "")


def test_a_version_deleted_in_cairn_after_an_import_is_not_brought_back(db: Database, alice: Actor) -> None:
    import_registered_model(db, _model(_version(1), _version(2)), alice, "mlflow")
    registry.delete_model_version(db, "churn", 2, alice)
    outcomes = import_registered_model(db, _model(_version(1), _version(2)), alice, "mlflow")
    assert [v.version for v in registry.search_model_versions(db, "churn").items] == [1]
    (again,) = [o for o in outcomes if o.key == "churn/2"]
    assert again.status == PRESENT and "deleted in Cairn" in (again.note or "")
