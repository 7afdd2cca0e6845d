"""An Optuna study recorded by ``cairn.optuna.callback()``: one parent run for the study, one
child run per trial, the best trial on the parent, the importances when the study ends."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import optuna
import pytest

import cairn
from cairn.entities import ViewType

N_TRIALS = 20
PRUNED_EVERY = 7  # trials 6 and 13 are pruned
FAILS_AT = 10


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report((x - 2) ** 2 + 3 - step, step)
    if trial.number % PRUNED_EVERY == PRUNED_EVERY - 1:
        raise optuna.TrialPruned()
    if trial.number == FAILS_AT:
        raise ValueError("diverged")
    return (x - 2) ** 2 + (0.001 if kind == "b" else 0.0)


def new_study(name: str) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(study_name=name, sampler=optuna.samplers.TPESampler(seed=7))


def children_of(client: cairn.Client, experiment_id: str, parent_id: str) -> list[cairn.Run]:
    return client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'",
                              ViewType.ALL, max_results=1000).items


def test_a_study_of_20_trials_is_a_parent_run_with_20_child_runs(store_dir: Path) -> None:
    study = new_study("tune-lr")
    with cairn.optuna.callback(experiment="sweeps") as cb:
        study.optimize(objective, n_trials=N_TRIALS, callbacks=[cb], catch=(ValueError,))

    client = cairn.Client()
    experiment = client.get_experiment_by_name("sweeps")
    assert experiment is not None
    every = client.search_runs([experiment.experiment_id], "", ViewType.ALL, max_results=1000).items
    assert len(every) == 1 + N_TRIALS
    parent = client.get_run(cb.study_run_id)
    assert parent.info.run_name == "tune-lr" and parent.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in parent.data.tags

    children = {int(r.data.tags["optuna.trial_number"]): r for r in
                children_of(client, experiment.experiment_id, parent.run_id)}
    assert sorted(children) == list(range(N_TRIALS))
    for trial in study.trials:
        run = children[trial.number]
        assert run.data.params == {k: str(v) for k, v in trial.params.items()}
        assert run.data.tags["optuna.trial_state"] == trial.state.name
        assert run.data.tags["optuna.pruned"] == ("true" if trial.state.name == "PRUNED" else "false")
        assert run.info.start_time == int(trial.datetime_start.timestamp() * 1000)
        assert run.info.end_time == int(trial.datetime_complete.timestamp() * 1000)
        history = client.get_metric_history(run.run_id, "intermediate_value")
        assert [(p.step, p.value) for p in history] == sorted(trial.intermediate_values.items())
        if trial.state.name in ("COMPLETE", "PRUNED"):
            # Optuna gives a pruned trial its last reported value.
            assert run.info.status == "FINISHED"
            assert run.data.metrics["value"].value == pytest.approx(trial.value)
        else:
            assert trial.number == FAILS_AT and run.info.status == "FAILED"
    assert {t.state.name for t in study.trials} == {"COMPLETE", "PRUNED", "FAIL"}

    best = study.best_trial
    tags = parent.data.tags
    assert tags["optuna.best_trial"] == str(best.number)
    assert tags["optuna.best_run_id"] == children[best.number].run_id
    assert {k.removeprefix("optuna.best_param."): v for k, v in tags.items()
            if k.startswith("optuna.best_param.")} == {k: str(v) for k, v in best.params.items()}
    assert parent.data.metrics["best_value"].value == pytest.approx(best.value)
    assert tags["optuna.n_trials"] == str(N_TRIALS) and tags["optuna.n_pruned"] == "2"

    # The best-so-far curve: one point per trial, never getting worse (the study minimises).
    curve = client.get_metric_history(parent.run_id, "best_value")
    assert [p.value for p in curve] == sorted((p.value for p in curve), reverse=True)
    assert curve[-1].step == N_TRIALS - 1

    table = client.load_table(parent.run_id, "param_importances.json")
    assert table["columns"] == ["param", "importance"]
    ranked = dict(table["data"])
    assert set(ranked) == {"x", "kind"} and sum(ranked.values()) == pytest.approx(1.0)
    assert table["data"][0][0] == "x"  # the objective hardly depends on kind
    png = client.download_artifacts(parent.run_id, "param_importances.png")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_the_best_trial_is_current_while_the_study_runs(store_dir: Path) -> None:
    study = new_study("live")
    cb = cairn.optuna.callback(experiment="sweeps-live")
    client = cairn.Client()
    for _ in range(2):
        study.optimize(objective, n_trials=4, callbacks=[cb])
        parent = client.get_run(cb.study_run_id)
        assert parent.info.status == "RUNNING"
        assert parent.data.tags["optuna.best_trial"] == str(study.best_trial.number)
        assert parent.data.metrics["best_value"].value == pytest.approx(study.best_value)
    cb.finish(study)
    cb.finish(study)  # once is enough: the second call changes nothing
    assert client.get_run(cb.study_run_id).info.status == "FINISHED"
    with pytest.raises(RuntimeError, match="finish was called"):
        study.optimize(objective, n_trials=1, callbacks=[cb])


def test_a_study_inside_an_active_run_is_its_child(store_dir: Path) -> None:
    cairn.set_experiment("outer")
    with cairn.start_run(run_name="campaign") as outer:
        with cairn.optuna.callback() as cb:
            new_study("inner").optimize(objective, n_trials=2, callbacks=[cb])
    parent = cairn.get_run(cb.study_run_id)
    assert parent.data.tags["mlflow.parentRunId"] == outer.run_id
    assert parent.info.experiment_id == outer.info.experiment_id
    # One complete trial at most: no importances, and the study's run says why.
    assert "optuna.importance_note" in parent.data.tags or len(cb.trial_run_ids) == 2


def test_cairn_runs_list_parent_lists_the_trials(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cairn import cli

    study = new_study("listed")
    with cairn.optuna.callback(experiment="sweeps-cli") as cb:
        study.optimize(objective, n_trials=5, callbacks=[cb])
    assert cli.main(["--tracking-uri", cairn.get_tracking_uri(), "runs", "list", "--parent", cb.study_run_id,
                     "-o", "metrics.value ASC", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["runs"]
    assert sorted(r["run_id"] for r in listed) == sorted(cb.trial_run_ids.values())
    best_run = cb.trial_run_ids[study.best_trial.number]
    assert listed[0]["run_id"] == best_run
    # The filter narrows the children further; the study's own name finds the parent too.
    assert cli.main(["--tracking-uri", cairn.get_tracking_uri(), "runs", "list", "-e", "sweeps-cli",
                     "--parent", "listed", "-f", f"attributes.run_id = '{best_run}'", "--json"]) == 0
    assert [r["run_id"] for r in json.loads(capsys.readouterr().out)["runs"]] == [best_run]
    uri = cairn.get_tracking_uri()
    if uri.startswith("http"):  # the UI's compare view takes the trials' run ids
        import httpx

        trials = sorted(cb.trial_run_ids.values())[:3]
        page = httpx.get(f"{uri}/compare", params=[("run", r) for r in trials], timeout=30)
        assert page.status_code == 200
        assert all(r[:8] in page.text for r in trials) and "kind" in page.text


def test_import_cairn_does_not_import_optuna() -> None:
    import subprocess

    code = "import sys, cairn; print(sorted(m for m in ('optuna', 'PIL', 'matplotlib', 'psutil') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
