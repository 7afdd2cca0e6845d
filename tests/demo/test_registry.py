"""The registry part of ``make demo`` on real training runs (scikit-learn, a few seconds)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import cairn
from cairn.demo.experiment import EXPERIMENT, MODEL_NAME
from cairn.demo.registry import pick_threshold


@pytest.mark.parametrize("best, weak, expected", [(0.9936, 0.9889, 0.99), (0.95, 0.90, 0.925), (0.9, 0.9, 0.9)])
def test_threshold_lets_the_best_model_pass_and_the_weak_one_fail(best, weak, expected):
    threshold = pick_threshold(best, weak)
    assert threshold == expected
    assert best >= threshold and (weak < threshold or weak == best)


def test_registry_demo_ships_refuses_the_weak_model_rolls_back_and_prints(store_dir):
    pytest.importorskip("sklearn")
    from cairn.demo.registry import run_registry_demo
    from cairn.demo.training import GRID

    experiment = cairn.set_experiment(EXPERIMENT)
    client = cairn.Client()
    # The demo's runs as it leaves them (params, best_val_auc, a pickled model under model/),
    # with the AUCs its grid reaches; the registry step retrains the best one for real.
    for params, auc in zip(GRID, (0.99357, 0.99211, 0.98890), strict=True):
        run = client.create_run(experiment.experiment_id)
        client.log_params(run.run_id, params)
        client.log_metric(run.run_id, "best_val_auc", auc, synchronous=True)
        client.log_text(run.run_id, "pickled model", "model/model.pkl")
        client.set_terminated(run.run_id)
    out = io.StringIO()
    run_registry_demo(client, experiment.experiment_id, Console(file=out, width=140), cairn.get_tracking_uri())
    printed = out.getvalue()

    stages = {v.version: v.current_stage for v in client.search_model_versions(name=MODEL_NAME).items}
    assert stages == {1: "Production", 2: "None", 3: "Archived"}
    actions = [(e.action, e.version) for e in client.audit(MODEL_NAME) if e.version is not None]
    assert ("transition_refused", 2) in actions and ("rollback", 1) in actions
    assert [i.version for i in client.timeline(MODEL_NAME, include_aliases=False)] == [1, 3, 1]
    assert "gate refused v2" in printed and "rollback" in printed
    assert f"$ cairn models show {MODEL_NAME}" in printed and f"$ cairn models timeline {MODEL_NAME}" in printed
    assert "█" in printed
