"""Policy gates: each result stored with the transition; a failure refuses with what would pass."""

from __future__ import annotations

import pytest

from cairn import registry
from cairn.entities import MetricRequirement, Metric, Policy
from cairn.errors import Conflict, InvalidParameter
from cairn.registry.policies import parse_duration, parse_metric_requirement, policy_from_dict
from cairn.tracking import run_data

MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
saved_input_example_info:
  artifact_path: input_example.json
  type: ndarray
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 30]}}]'
  outputs: null
"""
AUC_GATE = Policy(required_metrics=(MetricRequirement("auc", ">=", 0.8),))


def _stage(db, version=1):
    return registry.get_model_version(db, "churn", version).current_stage


def test_metric_gate_passes_and_its_result_is_stored_with_the_transition(db, make_versions, alice):
    make_versions(1)
    registry.set_policy(db, "churn", AUC_GATE, alice)
    outcome = registry.promote(db, "churn", 1, "Production", alice)
    (gate,) = outcome.gate_results
    assert (gate.name, gate.passed, gate.observed, gate.threshold) == ("metric:auc", True, "0.9", ">= 0.8")
    promote = registry.list_audit_events(db, "churn")[-1]
    assert promote.action == "promote" and promote.gate_results == (gate,)


def test_failed_gate_refuses_naming_the_gate_and_what_would_pass(db, make_run, make_versions, alice, row_counts):
    weak = make_run({"auc": 0.61})
    make_versions(1, source_run=weak)
    registry.set_policy(db, "churn", AUC_GATE, alice)
    with pytest.raises(Conflict) as refused:
        registry.promote(db, "churn", 1, "Production", alice, reason="try")
    assert refused.value.http_status == 409
    assert "metric:auc: observed 0.61, required >= 0.8" in refused.value.message
    assert "needs auc >= 0.8" in refused.value.message
    assert _stage(db) == "None"
    refusal = registry.list_audit_events(db, "churn")[-1]
    assert (refusal.action, refusal.to_value, refusal.reason) == ("transition_refused", "Production", "try")
    assert [(g.name, g.passed, g.observed) for g in refusal.gate_results] == [("metric:auc", False, "0.61")]


def test_metric_not_logged_fails_the_gate(db, make_run, make_versions, alice):
    make_versions(1, source_run=make_run({"loss": 0.2}))
    registry.set_policy(db, "churn", AUC_GATE, alice)
    with pytest.raises(Conflict, match="metric:auc: observed not logged"):
        registry.promote(db, "churn", 1, "Production", alice)


def test_metric_gate_reads_the_runs_latest_value(db, run_id, make_versions, alice):
    make_versions(1)
    registry.set_policy(db, "churn", Policy(required_metrics=(MetricRequirement("auc", ">=", 0.95),)), alice)
    with pytest.raises(Conflict):
        registry.promote(db, "churn", 1, "Production", alice)
    run_data.log_batch(db, run_id, metrics=[Metric("auc", 0.97, 10, 5)])
    assert registry.promote(db, "churn", 1, "Production", alice).applied


def test_policy_can_forbid_none_to_production(db, make_versions, alice):
    make_versions(1)
    registry.set_policy(db, "churn", Policy(allow_direct_to_production=False), alice)
    with pytest.raises(Conflict, match="no_direct_production: observed from None.*promote to Staging first"):
        registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 1, "Staging", alice)
    assert registry.promote(db, "churn", 1, "Production", alice).applied


def test_staging_first_gate_accepts_a_version_that_was_in_staging_before(db, make_versions, alice):
    make_versions(2)
    registry.set_policy(db, "churn", Policy(require_staging_first=True), alice)
    with pytest.raises(Conflict, match="staging_first: observed never in Staging"):
        registry.promote(db, "churn", 1, "Production", alice)
    registry.promote(db, "churn", 2, "Staging", alice)
    registry.promote(db, "churn", 2, "Archived", alice)
    assert registry.promote(db, "churn", 2, "Production", alice).applied


def test_min_time_in_staging_counts_time_by_the_clock(db, make_versions, alice, clock):
    make_versions(1)
    registry.set_policy(db, "churn", Policy(min_staging_ms=parse_duration("2h")), alice)
    registry.promote(db, "churn", 1, "Staging", alice)
    clock.advance(parse_duration("90m"))
    with pytest.raises(Conflict) as refused:
        registry.promote(db, "churn", 1, "Production", alice)
    assert "min_staging_time: observed 1h 30m in Staging, required >= 2h" in refused.value.message
    assert "30m longer" in refused.value.message
    clock.advance(parse_duration("30m"))
    assert registry.promote(db, "churn", 1, "Production", alice).applied


def test_signature_and_input_example_gates_read_the_mlmodel_file(db, run_id, make_versions, alice, artifacts,
                                                                  model_files):
    make_versions(1)
    registry.set_policy(db, "churn", Policy(require_signature=True, require_input_example=True), alice)
    with pytest.raises(Conflict) as refused:
        registry.promote(db, "churn", 1, "Production", alice, model_files=model_files)
    assert "signature: observed no MLmodel file in the version's source" in refused.value.message
    assert "input_example: observed no MLmodel file" in refused.value.message
    model_dir = f"0/{run_id}/artifacts/model"
    unsigned = MLMODEL.replace("signature:\n  inputs", "signature_x:\n  inputs")
    artifacts.put_bytes(f"{model_dir}/MLmodel", unsigned.encode())
    with pytest.raises(Conflict) as still:
        registry.promote(db, "churn", 1, "Production", alice, model_files=model_files)
    assert "signature: observed MLmodel has no signature" in still.value.message
    assert "input example" in still.value.message
    artifacts.put_bytes(f"{model_dir}/MLmodel", MLMODEL.encode())
    artifacts.put_bytes(f"{model_dir}/input_example.json", b'{"inputs": [[0.1]]}')
    outcome = registry.promote(db, "churn", 1, "Production", alice, model_files=model_files)
    assert [(g.name, g.passed) for g in outcome.gate_results] == [("signature", True), ("input_example", True)]


def test_model_gates_fail_clearly_without_access_to_model_files(db, make_versions, alice):
    make_versions(1)
    registry.set_policy(db, "churn", Policy(require_signature=True), alice)
    with pytest.raises(Conflict, match="model files are not readable by this registry"):
        registry.promote(db, "churn", 1, "Production", alice, model_files=None)


def test_gates_apply_only_to_the_stages_the_policy_names(db, make_run, make_versions, alice):
    make_versions(1, source_run=make_run({"auc": 0.5}))
    registry.set_policy(db, "churn", AUC_GATE, alice)
    assert registry.promote(db, "churn", 1, "Staging", alice).gate_results == ()
    registry.set_policy(db, "churn", Policy(required_metrics=AUC_GATE.required_metrics,
                                            gated_stages=("staging", "Production")), alice)
    registry.promote(db, "churn", 1, "None", alice)
    with pytest.raises(Conflict):
        registry.promote(db, "churn", 1, "Staging", alice)


def test_server_default_policy_applies_to_models_without_their_own(db, make_run, make_versions, alice):
    make_versions(1, source_run=make_run({"auc": 0.5}))
    registry.set_default_policy(db, AUC_GATE, alice)
    assert registry.get_policy_scope(db, "churn") == "server default"
    with pytest.raises(Conflict):
        registry.promote(db, "churn", 1, "Production", alice)
    registry.set_policy(db, "churn", Policy(), alice)
    assert registry.get_policy_scope(db, "churn") == "model"
    assert registry.promote(db, "churn", 1, "Production", alice).applied


def test_policy_change_is_audited_with_the_previous_policy(db, make_versions, alice):
    make_versions(1)
    registry.set_policy(db, "churn", AUC_GATE, alice, reason="quality bar")
    registry.set_policy(db, "churn", None, alice)
    first, second = [e for e in registry.list_audit_events(db, "churn") if e.action == "policy_set"]
    assert first.reason == "quality bar"
    assert first.details["policy"]["required_metrics"] == [{"key": "auc", "op": ">=", "threshold": 0.8}]
    assert second.details["policy"] is None and second.details["previous"] == first.details["policy"]
    assert registry.get_policy(db, "churn") == Policy()


def test_policies_parse_from_text_and_json_and_refuse_nonsense():
    assert parse_metric_requirement(" auc>=0.80 ") == MetricRequirement("auc", ">=", 0.8)
    assert policy_from_dict({"required_metrics": ["auc > 0.7"], "gated_stages": ["staging"]}) == Policy(
        required_metrics=(MetricRequirement("auc", ">", 0.7),), gated_stages=("Staging",))
    for bad in ("auc", "auc => 1", "auc >= high", ">= 0.8"):
        with pytest.raises(InvalidParameter):
            parse_metric_requirement(bad)
    for bad_policy in ({"require_signof": True}, {"min_staging_ms": -1}, {"gated_stages": ["Archived"]},
                       {"retention_days": 99999}, {"require_signoff": "yes"}):
        with pytest.raises(InvalidParameter):
            policy_from_dict(bad_policy)
