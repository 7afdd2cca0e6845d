"""scikit-learn autolog on tiny real models: params with defaults, the training score and
per-iteration curves, the training data's digest, a package that predicts what the estimator
does, and a search's candidates as child runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import cairn
from cairn.datasets.digest import digest_frame
from tests.integrations.conftest import artifact_paths, datasets, history, only_run

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)  # type: ignore[no-any-return]


def test_fit_starts_a_run_with_params_score_dataset_and_model(tracking: str, iris: tuple) -> None:
    x, y = iris
    cairn.autolog()
    model = LogisticRegression(C=0.5, max_iter=300).fit(x, y)

    run = only_run()
    assert run.data.params["C"] == "0.5"
    assert run.data.params["solver"] == "lbfgs"  # a default the call did not set
    assert run.data.metrics["training_score"].value == pytest.approx(model.score(x, y))
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(4)]).assign(target=y)
    assert datasets(run) == {"LogisticRegression-training": ("training", digest_frame(frame))}
    loaded = cairn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.signature is not None
    assert (loaded.predict(x[:10]) == model.predict(x[:10])).all()
    assert "input_example.json" in artifact_paths(run, "model")[0] or any(
        p.endswith("input_example.json") for p in artifact_paths(run, "model"))
    assert cairn.active_run() is None  # the run autolog started is ended


def test_fit_inside_an_active_run_logs_into_it_and_records_the_curve(tracking: str, iris: tuple) -> None:
    x, y = iris
    cairn.sklearn.autolog(log_models=False, log_datasets=False)
    with cairn.start_run() as active:
        model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(4,), max_iter=6, random_state=0))
        model.fit(x, y)
        assert cairn.active_run() is active

    run = only_run()
    assert run.data.params["mlpclassifier__max_iter"] == "6"  # the pipeline's steps, one fit recorded
    losses = history(run, "training_loss")
    assert [step for step, _ in losses] == list(range(6))
    assert [v for _, v in losses] == pytest.approx(model[-1].loss_curve_)
    assert run.inputs == [] and artifact_paths(run) == []


def test_search_candidates_become_child_runs(tracking: str, iris: tuple) -> None:
    x, y = iris
    cairn.autolog()
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 1.0, 10.0]}, cv=3).fit(x, y)

    parent = only_run()
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert parent.data.metrics["best_cv_score"].value == pytest.approx(search.best_score_)
    children = [r for r in cairn.search_runs(output_format="list")
                if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    by_c = {r.data.params["C"]: r.data.metrics for r in children}
    assert sorted(by_c) == ["0.01", "1.0", "10.0"]
    for i, c in enumerate(search.cv_results_["param_C"]):
        assert by_c[str(c)]["mean_test_score"].value == pytest.approx(search.cv_results_["mean_test_score"][i])
        assert by_c[str(c)]["rank_test_score"].value == search.cv_results_["rank_test_score"][i]
    assert {"best_estimator", "model"} <= set(artifact_paths(parent))
    best = cairn.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    assert (best.predict(x[:10]) == search.predict(x[:10])).all()


def test_disable_stops_recording(tracking: str, iris: tuple) -> None:
    x, y = iris
    cairn.autolog()
    cairn.autolog(disable=True)
    LogisticRegression(max_iter=300).fit(x, y)
    assert cairn.search_runs(output_format="list") == []


def test_a_failing_fit_marks_the_run_failed(tracking: str) -> None:
    cairn.autolog(log_models=False)
    with pytest.raises(ValueError):
        LogisticRegression().fit(np.array([[1.0], [np.nan]]), np.array([0, 1]))
    only_run(status="FAILED")
