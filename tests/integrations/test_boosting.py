"""XGBoost and LightGBM autolog on tiny real boosters: params (defaults included), per-round
eval metrics, feature importance, the data's digests, and a package that predicts what the
booster does."""

from __future__ import annotations

import json

import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost

import cairn
from cairn.datasets.digest import digest_frame
from tests.integrations.conftest import artifact_paths, datasets, history, only_run

ROUNDS = 4


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def _digest(x: np.ndarray, y: np.ndarray) -> str:
    return digest_frame(pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])]).assign(target=y))


def _importance(run: cairn.Run, name: str) -> dict[str, float]:
    path = cairn.Client().download_artifacts(run.info.run_id, name)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_xgboost_train(tracking: str, data: tuple) -> None:
    x, y = data
    cairn.autolog()
    train = xgboost.DMatrix(x[:90], label=y[:90])
    valid = xgboost.DMatrix(x[90:], label=y[90:])
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 2, "eval_metric": "logloss"}, train,
                            ROUNDS, evals=[(train, "train"), (valid, "valid")], verbose_eval=False)

    run = only_run()
    assert run.data.params["max_depth"] == "2"
    assert run.data.params["num_boost_round"] == str(ROUNDS)
    assert run.data.params["subsample"] == "1"  # a default, from the booster's config
    valid_curve = history(run, "valid-logloss")
    assert [step for step, _ in valid_curve] == list(range(ROUNDS))
    assert [step for step, _ in history(run, "train-logloss")] == list(range(ROUNDS))
    # A DMatrix holds float32 features and labels: the digest is of what XGBoost trained on.
    x32, y32 = x.astype("float32"), y.astype("float32")
    assert datasets(run) == {"xgboost-training": ("training", _digest(x32[:90], y32[:90])),
                             "xgboost-valid": ("evaluation", _digest(x32[90:], y32[90:]))}
    assert {"feature_importance_gain.json", "feature_importance_weight.json", "model"} <= set(artifact_paths(run))
    assert set(_importance(run, "feature_importance_weight.json")) <= {"f0", "f1", "f2"}
    loaded = cairn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.signature is not None
    assert np.allclose(loaded.predict(x[:5]), booster.predict(xgboost.DMatrix(x[:5])))


def test_xgboost_sklearn_api_is_recorded_through_train(tracking: str, data: tuple) -> None:
    x, y = data
    cairn.xgboost.autolog(log_models=False)
    xgboost.XGBClassifier(n_estimators=ROUNDS, max_depth=2).fit(x, y, eval_set=[(x, y)], verbose=False)

    run = only_run()
    assert run.data.params["max_depth"] == "2"
    assert [step for step, _ in history(run, "validation_0-logloss")] == list(range(ROUNDS))


def test_lightgbm_train(tracking: str, data: tuple) -> None:
    x, y = data
    cairn.autolog()
    booster = lightgbm.train({"objective": "binary", "num_leaves": 4, "verbose": -1},
                             lightgbm.Dataset(x[:90], y[:90]), ROUNDS,
                             valid_sets=[lightgbm.Dataset(x[90:], y[90:])], valid_names=["valid"])

    run = only_run()
    assert run.data.params["num_leaves"] == "4"
    assert run.data.params["num_boost_round"] == str(ROUNDS)
    assert run.data.params["bagging_fraction"] == "1"  # a default, from the booster's saved params
    assert [step for step, _ in history(run, "valid-binary_logloss")] == list(range(ROUNDS))
    assert datasets(run) == {"lightgbm-training": ("training", _digest(x[:90], y[:90])),
                             "lightgbm-valid": ("evaluation", _digest(x[90:], y[90:]))}
    assert set(_importance(run, "feature_importance_split.json")) == {"Column_0", "Column_1", "Column_2"}
    loaded = cairn.load_model(f"runs:/{run.info.run_id}/model")
    assert np.allclose(loaded.predict(x[:5]), booster.predict(x[:5]))
    assert "lightgbm==" in (loaded.path / "requirements.txt").read_text()


def test_lightgbm_inside_an_active_run(tracking: str, data: tuple) -> None:
    x, y = data
    cairn.lightgbm.autolog(log_models=False, log_datasets=False)
    with cairn.start_run():
        lightgbm.LGBMClassifier(n_estimators=ROUNDS, verbose=-1).fit(x, y, eval_X=(x,), eval_y=(y,))
        assert cairn.active_run() is not None
    run = only_run()
    assert [step for step, _ in history(run, "valid_0-binary_logloss")] == list(range(ROUNDS))
    assert run.inputs == []
