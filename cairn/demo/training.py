"""The training part of ``make demo``: gradient boosting on the breast-cancer data set that ships
inside scikit-learn (no download), one run per set of hyperparameters.

Each run records its params, a per-iteration validation curve, a plot, the model package, its
training and validation data, and (automatically) the git commit, the pinned environment, the
machine and the seed.
"""

from __future__ import annotations

from typing import Any

from cairn.demo.datasets import log_split
from cairn.demo.experiment import BEST_METRIC

GRID = [
    {"learning_rate": 0.3, "n_estimators": 60, "max_depth": 1},
    {"learning_rate": 0.1, "n_estimators": 120, "max_depth": 2},
    {"learning_rate": 0.05, "n_estimators": 150, "max_depth": 3},
]
SEED = 42
VALIDATION_SHARE = 0.3


def load_split() -> tuple[Any, Any, Any, Any]:
    """``(x_train, x_val, y_train, y_val)``: the same stratified split on every call."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=VALIDATION_SHARE, random_state=SEED, stratify=y)
    return x_train, x_val, y_train, y_val


def train_one(params: dict[str, float], data: tuple[Any, Any, Any, Any]) -> str:
    """Train one run of the active experiment on ``data`` (as ``load_split`` returns it); its id."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss, roc_auc_score

    from cairn.client import fluent

    x_train, x_val, y_train, y_val = data
    name = "gbm-lr{learning_rate}-d{max_depth}".format(**params)
    with fluent.start_run(run_name=name) as run:
        fluent.seed_everything(SEED)
        log_split(x_train, y_train, x_val, y_val)
        fluent.log_params(params)
        fluent.log_params({"train_rows": len(x_train), "validation_rows": len(x_val)})
        fluent.set_tag("dataset", "sklearn.datasets.load_breast_cancer")
        model = GradientBoostingClassifier(random_state=SEED, **params)
        model.fit(x_train, y_train)
        aucs, losses = [], []
        for step, proba in enumerate(model.staged_predict_proba(x_val), start=1):
            auc = roc_auc_score(y_val, proba[:, 1])
            loss = log_loss(y_val, proba[:, 1])
            fluent.log_metric("val_auc", auc, step=step)
            fluent.log_metric("val_logloss", loss, step=step)
            aucs.append(auc)
            losses.append(loss)
        fluent.log_metrics({BEST_METRIC: max(aucs), "final_val_logloss": losses[-1]})
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax1.plot(aucs, color="tab:green")
        ax1.set_title("validation AUC")
        ax2.plot(losses, color="tab:red")
        ax2.set_title("validation log-loss")
        for ax in (ax1, ax2):
            ax.set_xlabel("boosting iteration")
        fig.tight_layout()
        fluent.log_figure(fig, "plots/curves.png")
        plt.close(fig)
        # A model package (MLmodel, signature, input example, pinned requirements): what the
        # registry ships and `cairn serve` loads.
        fluent.log_model(model, "model", input_example=x_val[:3])
        return run.run_id
