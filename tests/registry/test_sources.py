"""A model version's source: kept as the client gave it, resolved to its files when they are read,
remote sources and runs from elsewhere recorded as external, unsafe ones refused saying why."""

from __future__ import annotations

import json

import pytest

from cairn import registry
from cairn.entities import Policy
from cairn.errors import Conflict, InvalidParameter, NotFound
from cairn.registry.search import search_model_versions_by_filter
from cairn.registry.sources import refuse_external
from cairn.tracking import logged_models
from cairn.registry.lineage import build_lineage

ELSEWHERE_RUN = "0123456789abcdef0123456789abcdef"
SIGNED_MLMODEL = "flavors: {}\nsignature:\n  inputs: '[]'\n"
RETENTION_MS = 31 * 24 * 3600 * 1000  # past the default 30 days


def test_runs_source_is_kept_as_given_and_read_from_the_runs_artifacts(db, run_id, alice):
    version = registry.register_model(db, f"runs:/{run_id}/model", "churn", alice)
    assert (version.source, version.run_id, version.external) == (f"runs:/{run_id}/model", run_id, False)
    assert version.files_location == f"mlflow-artifacts:/0/{run_id}/artifacts/model"
    assert registry.get_model_version_download_uri(db, "churn", 1) == f"runs:/{run_id}/model"


def test_runs_source_naming_a_model_the_run_logged_reads_that_models_files(db, run_id, make_run, alice):
    # mlflow 3's log_model(name="model") writes to a logged model, and the mlflow client reads
    # runs:/<run>/model from it; Cairn's reads must find the same files.
    model = logged_models.create_logged_model(db, "0", name="model", source_run_id=run_id)
    logged_models.create_logged_model(db, "0", name="model", source_run_id=make_run())
    version = registry.register_model(db, f"runs:/{run_id}/model", "churn", alice)
    assert (version.source, version.files_location) == (f"runs:/{run_id}/model", model.artifact_location)
    inner = registry.register_model(db, f"runs:/{run_id}/model/data", "churn", alice)
    assert inner.files_location == f"{model.artifact_location}/data"
    other = registry.register_model(db, f"runs:/{run_id}/other", "churn", alice)
    assert other.files_location == f"mlflow-artifacts:/0/{run_id}/artifacts/other"


def test_versions_are_found_by_the_source_the_client_gave(db, run_id, make_run, alice):
    registry.register_model(db, f"runs:/{run_id}/model", "churn", alice)
    registry.register_model(db, f"runs:/{make_run()}/model", "churn", alice)
    page = search_model_versions_by_filter(db, f"source_path = 'runs:/{run_id}/model'", [], 10, None)
    assert [v.version for v in page.items] == [1]


def test_artifact_store_source_is_accepted_with_its_run(db, run_id, alice):
    version = registry.register_model(db, "mlflow-artifacts:/0/models/m-1/artifacts", "churn", alice, run_id=run_id)
    assert (version.source, version.run_id) == ("mlflow-artifacts:/0/models/m-1/artifacts", run_id)
    assert version.files_location == version.source
    assert registry.get_model_version_download_uri(db, "churn", 1) == version.source


def test_logged_model_source_names_the_model_and_lists_the_version_on_it(db, run_id, alice):
    model = logged_models.create_logged_model(db, "0", name="model", source_run_id=run_id)
    first = registry.register_model(db, f"models:/{model.model_id}", "churn", alice)
    assert (first.source, first.model_id, first.run_id) == (f"models:/{model.model_id}", model.model_id, run_id)
    assert first.files_location == model.artifact_location
    assert registry.get_model_version_download_uri(db, "churn", 1) == model.artifact_location
    registry.create_model_version(db, "churn", f"models:/{model.model_id}", alice, model_id=model.model_id)
    registry.register_model(db, f"models:/{model.model_id}", "fraud", alice)
    tag = logged_models.get_logged_model(db, model.model_id).tags["mlflow.modelVersions"]
    # MLflow's own value: json.dumps of {"name", "version"} entries, version a number.
    assert tag == json.dumps([{"name": "churn", "version": 1}, {"name": "churn", "version": 2},
                              {"name": "fraud", "version": 1}])


def test_logged_model_source_and_model_id_must_agree(db, run_id, alice, row_counts):
    one = logged_models.create_logged_model(db, "0", source_run_id=run_id)
    other = logged_models.create_logged_model(db, "0", source_run_id=run_id)
    registry.create_registered_model(db, "churn", alice)
    before = row_counts()
    with pytest.raises(InvalidParameter, match="give one model"):
        registry.create_model_version(db, "churn", f"models:/{one.model_id}", alice, model_id=other.model_id)
    with pytest.raises(NotFound, match="Logged model 'm-missing' not found"):
        registry.create_model_version(db, "churn", "models:/m-missing", alice)
    assert row_counts() == before
    assert "mlflow.modelVersions" not in logged_models.get_logged_model(db, other.model_id).tags


def test_copy_by_registered_version_keeps_the_source_versions_files_run_and_download_uri(db, run_id, alice):
    registry.register_model(db, f"runs:/{run_id}/model", "churn", alice)
    registry.set_alias(db, "churn", "champion", 1, alice)
    copy = registry.register_model(db, "models:/churn@champion", "churn-prod", alice)
    assert (copy.source, copy.run_id) == ("models:/churn/1", run_id)
    assert copy.files_location == f"mlflow-artifacts:/0/{run_id}/artifacts/model"
    assert registry.get_model_version_download_uri(db, "churn-prod", 1) == f"runs:/{run_id}/model"
    registry.delete_model_version(db, "churn", 1, alice)
    assert registry.get_model_version_download_uri(db, "churn-prod", 1) == f"runs:/{run_id}/model"


def test_copy_with_a_different_run_id_is_refused(db, run_id, make_run, alice):
    registry.register_model(db, f"runs:/{run_id}/model", "churn", alice)
    with pytest.raises(InvalidParameter, match="whose run_id is"):
        registry.register_model(db, "models:/churn/1", "churn-prod", alice, run_id=make_run())
    with pytest.raises(NotFound):
        registry.register_model(db, "models:/churn/7", "churn-prod", alice)


def test_copy_of_a_version_whose_files_retention_deleted_is_refused(db, run_id, alice, clock, artifacts):
    for number in (1, 2):
        registry.register_model(db, f"runs:/{run_id}/model{number}", "churn", alice)
        registry.promote(db, "churn", number, "Production", alice)
    clock.advance(RETENTION_MS)
    registry.collect_expired_artifacts(db, artifacts, alice)
    with pytest.raises(Conflict, match="Cannot copy version 1 of 'churn'"):
        registry.register_model(db, "models:/churn/1", "churn-copy", alice)


@pytest.mark.parametrize("source", [
    "s3://bucket/models/churn",
    "gs://bucket/models/churn",
    "wasbs://models@acct.blob.core.windows.net/churn",
    "https://models.example.com/churn",
    "dbfs:/databricks/mlflow/churn",
    f"runs:/{ELSEWHERE_RUN}/model",
])
def test_remote_sources_and_runs_from_elsewhere_are_recorded_as_external(db, alice, source):
    version = registry.register_model(db, source, "churn", alice)
    assert (version.source, version.external, version.files_location) == (source, True, None)
    assert registry.get_model_version_download_uri(db, "churn", 1) == source
    with pytest.raises(InvalidParameter, match="outside Cairn's artifact store"):
        refuse_external(version, "load")


def test_lineage_marks_an_external_version_and_its_run_from_elsewhere(db, alice):
    registry.register_model(db, f"runs:/{ELSEWHERE_RUN}/model", "churn", alice)
    lineage = build_lineage(db, "models:/churn/1")
    assert lineage.nodes["model_version:churn/1"].attributes["external"] is True
    assert lineage.nodes[f"run:{ELSEWHERE_RUN}"].attributes == {"run_id": ELSEWHERE_RUN, "external": True}
    assert [(e.source, e.relation) for e in lineage.edges] == [(f"run:{ELSEWHERE_RUN}", "registered")]


def test_signature_gate_says_an_external_versions_files_are_not_read(db, alice, model_files):
    registry.register_model(db, "s3://bucket/churn", "churn", alice)
    registry.set_policy(db, "churn", Policy(require_signature=True), alice)
    with pytest.raises(Conflict, match="signature: observed the version's files are outside Cairn's store"):
        registry.promote(db, "churn", 1, "Production", alice, model_files=model_files)


def test_signature_gate_reads_the_files_a_runs_source_resolves_to(db, run_id, alice, artifacts, model_files):
    registry.register_model(db, f"runs:/{run_id}/model", "churn", alice)
    artifacts.put_bytes(f"0/{run_id}/artifacts/model/MLmodel", SIGNED_MLMODEL.encode())
    registry.set_policy(db, "churn", Policy(require_signature=True), alice)
    outcome = registry.promote(db, "churn", 1, "Production", alice, model_files=model_files)
    assert [(g.name, g.passed) for g in outcome.gate_results] == [("signature", True)]


def test_retention_never_collects_external_versions_and_keeps_files_a_copy_still_uses(
        db, run_id, alice, clock, artifacts):
    artifacts.put_bytes(f"0/{run_id}/artifacts/model/MLmodel", SIGNED_MLMODEL.encode())
    for source in (f"runs:/{run_id}/model", "s3://bucket/churn"):
        registry.register_model(db, source, "churn", alice)
    registry.register_model(db, "models:/churn/1", "churn-copy", alice)
    for number in (1, 2):
        registry.promote(db, "churn", number, "Staging", alice)
        registry.promote(db, "churn", number, "Archived", alice)
    clock.advance(RETENTION_MS)
    (kept,) = registry.collect_expired_artifacts(db, artifacts, alice)
    assert (kept.version, kept.deleted_time) == (1, None) and "version 1 of 'churn-copy'" in kept.kept_reason
    assert artifacts.exists(f"0/{run_id}/artifacts/model/MLmodel")


@pytest.mark.parametrize(("source", "why"), [
    ("/etc/passwd", "is a path on the server's disk"),
    ("file:///etc/passwd", "is a path on the server's disk"),
    ("C:\\models\\churn", "is a path on the server's disk"),
    ("model/weights", "is a path on the server's disk"),
    ("ftp://host/model", "uses the scheme 'ftp:'"),
    ("mlflow-artifacts:/../secrets", "must not contain '..' segments"),
    ("mlflow-artifacts:/0/%2e%2e/x", "percent-escape"),
    ("mlflow-artifacts:/", "must name a file or directory"),
    ("mlflow-artifacts:/0/model?x=1", "start of a query or fragment"),
    ("s3://bucket/a/../../b", "must not contain '..' segments"),
    ("s3://bucket/model#frag", "start of a query or fragment"),
    ("s3:///etc/passwd", "must be followed by a bucket or host name"),
    ("https://user:secret@host/model", "must be followed by a bucket or host name"),
    ("runs:/{run}/../../etc", "must not contain '..' segments"),
    ("runs:/../model", "for parameter 'run_id' supplied"),
    ("models:/bad id", "does not name a logged model"),
    ("", "needs a source"),
])
def test_unsafe_sources_are_refused_saying_why_and_write_nothing(db, run_id, alice, row_counts, source, why):
    registry.create_registered_model(db, "churn", alice)
    before = row_counts()
    with pytest.raises(InvalidParameter, match=why.replace("(", r"\(").replace("?", r"\?")):
        registry.create_model_version(db, "churn", source.replace("{run}", run_id), alice)
    assert row_counts() == before


def test_run_id_disagreeing_with_the_source_is_refused(db, make_run, alice):
    first, second = make_run(), make_run()
    with pytest.raises(InvalidParameter, match="give one run"):
        registry.register_model(db, f"runs:/{first}/model", "churn", alice, run_id=second)
