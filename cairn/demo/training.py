"""The training part of ``make demo``: gradient boosting on the breast-cancer data set that ships
inside scikit-learn (no download), one run per set of hyperparameters.

Each run is its own process, started the way a user starts a training script
(``python -m cairn.demo.training --learning-rate 0.1 ...``), so it records a command line that
``cairn reproduce`` can run again. Each records its params, a per-iteration validation curve, a
plot, the model package, its training and validation data, and (automatically) the git commit,
the pinned environment, the machine and the seed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
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


def train_one(params: dict[str, float], without_outliers: bool = False, autolog: bool = False) -> str:
    """Train one run of the demo's experiment in its own process, on the store in force; its id.
    ``without_outliers`` trains on the split with its outliers dropped; ``autolog`` lets
    ``cairn.autolog()`` record the fit (params with defaults, training curve, model package)."""
    from cairn.client import fluent
    from cairn.client.tracking_uri import absolute_tracking_uri
    from cairn.demo.experiment import EXPERIMENT

    command = [sys.executable, "-m", "cairn.demo.training", "--learning-rate", str(params["learning_rate"]),
               "--n-estimators", str(params["n_estimators"]), "--max-depth", str(params["max_depth"])]
    if without_outliers:
        command.append("--without-outliers")
    if autolog:
        command.append("--autolog")
    fluent.flush()
    env = dict(os.environ, CAIRN_TRACKING_URI=absolute_tracking_uri(fluent.get_tracking_uri()),
               CAIRN_EXPERIMENT_NAME=EXPERIMENT)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"training failed: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m cairn.demo.training``: train one run and print its id."""
    from cairn.demo.datasets import drop_outliers

    parser = argparse.ArgumentParser(prog="python -m cairn.demo.training", description=main.__doc__)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--n-estimators", type=int, required=True)
    parser.add_argument("--max-depth", type=int, required=True)
    parser.add_argument("--without-outliers", action="store_true", help="Drop the training split's outliers.")
    parser.add_argument("--autolog", action="store_true", help="Let cairn.autolog() record the fit.")
    args = parser.parse_args(argv)
    params = {"learning_rate": args.learning_rate, "n_estimators": args.n_estimators, "max_depth": args.max_depth}
    data = load_split()
    print(train_here(params, drop_outliers(data) if args.without_outliers else data, autolog=args.autolog))


def train_here(params: dict[str, float], data: tuple[Any, Any, Any, Any], autolog: bool = False) -> str:
    """Train one run of the active experiment on ``data`` (as ``load_split`` returns it), in this
    process; its id. With ``autolog``, ``cairn.autolog()`` records the fit: the estimator's params
    (defaults included), its training-loss curve and the model package; the run's named data
    splits are logged here either way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss, roc_auc_score

    from cairn.client import fluent

    x_train, x_val, y_train, y_val = data
    name = "gbm-lr{learning_rate}-d{max_depth}".format(**params)
    if autolog:
        from cairn.integrations.autolog import (
            autolog as turn_on_autolog,  # what cairn.autolog() is
        )

        turn_on_autolog(log_datasets=False)  # the named splits below are the datasets the demo compares
    with fluent.start_run(run_name=name) as run:
        fluent.seed_everything(SEED)
        log_split(x_train, y_train, x_val, y_val)
        if not autolog:
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
        # registry ships and `cairn serve` loads. Autolog logged it already.
        if not autolog:
            fluent.log_model(model, "model", input_example=x_val[:3])
        return run.run_id


if __name__ == "__main__":
    main()
