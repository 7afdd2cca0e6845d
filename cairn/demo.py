"""`make demo`: three real training runs on the embedded store, then what Cairn can tell about them.

Trains scikit-learn gradient boosting on the breast-cancer data set that ships inside
scikit-learn (no download), with three sets of hyperparameters. Each run records its params, a
per-iteration validation curve, a plot, the model file, and (automatically) the git commit, the
pinned environment, the machine and the seed. Then it prints the runs ordered by validation AUC
and `cairn runs show` for the best one; then registers, gates, promotes and rolls back the model
(see ``cairn.registry.demo_steps``). The store stays in ./.cairn for you to explore.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

EXPERIMENT = "breast-cancer-gbm"
GRID = [
    {"learning_rate": 0.3, "n_estimators": 60, "max_depth": 1},
    {"learning_rate": 0.1, "n_estimators": 120, "max_depth": 2},
    {"learning_rate": 0.05, "n_estimators": 150, "max_depth": 3},
]
SEED = 42


def train_one(params: dict[str, float], data, client) -> str:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss, roc_auc_score

    import cairn
    from cairn.datasets.demo_steps import log_split

    x_train, x_val, y_train, y_val = data
    name = "gbm-lr{learning_rate}-d{max_depth}".format(**params)
    with cairn.start_run(run_name=name) as run:
        cairn.seed_everything(SEED)
        log_split(x_train, y_train, x_val, y_val)
        cairn.log_params(params)
        cairn.log_params({"train_rows": len(x_train), "validation_rows": len(x_val)})
        cairn.set_tag("dataset", "sklearn.datasets.load_breast_cancer")
        model = GradientBoostingClassifier(random_state=SEED, **params)
        model.fit(x_train, y_train)
        aucs, losses = [], []
        for step, proba in enumerate(model.staged_predict_proba(x_val), start=1):
            auc = roc_auc_score(y_val, proba[:, 1])
            loss = log_loss(y_val, proba[:, 1])
            cairn.log_metric("val_auc", auc, step=step)
            cairn.log_metric("val_logloss", loss, step=step)
            aucs.append(auc)
            losses.append(loss)
        cairn.log_metrics({"best_val_auc": max(aucs), "final_val_logloss": losses[-1]})
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax1.plot(aucs, color="tab:green")
        ax1.set_title("validation AUC")
        ax2.plot(losses, color="tab:red")
        ax2.set_title("validation log-loss")
        for ax in (ax1, ax2):
            ax.set_xlabel("boosting iteration")
        fig.tight_layout()
        cairn.log_figure(fig, "plots/curves.png")
        plt.close(fig)
        # A model package (MLmodel, signature, input example, pinned requirements): what the
        # registry ships and `cairn serve` loads.
        cairn.log_model(model, "model", input_example=x_val[:3])
        return run.run_id


def main() -> None:
    from rich.console import Console
    from rich.table import Table
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    import cairn

    # The tables here are wide; on a pipe or a narrow terminal draw them at 140 columns anyway.
    width = max(Console().width, 140)
    console = Console(width=width)
    started = time.perf_counter()
    x, y = load_breast_cancer(return_X_y=True)
    data = train_test_split(x, y, test_size=0.3, random_state=SEED, stratify=y)
    experiment = cairn.set_experiment(EXPERIMENT)
    console.print(f"[bold]Cairn demo[/] — store: {cairn.get_tracking_uri()}   experiment: {EXPERIMENT}")
    client = cairn.Client()
    from cairn.datasets.demo_steps import drop_outliers, run_dataset_demo

    for i, params in enumerate(GRID, start=1):
        # The first configuration trains on a cleaned copy (outliers dropped), so the runs differ
        # in their data as well as their hyperparameters; `cairn diff` shows both.
        run_data = drop_outliers(data) if i == 1 else data
        with console.status(f"training run {i}/{len(GRID)}: {params}"):
            train_one(params, run_data, client)
        note = " (training data without outliers)" if i == 1 else ""
        console.print(f"  ✓ run {i}/{len(GRID)} logged  {params}{note}")

    runs = cairn.search_runs(
        experiment_ids=[experiment.experiment_id],
        order_by=["metrics.best_val_auc DESC"],
        output_format="list",
        max_results=10,
    )
    table = Table(title=f"Runs of '{EXPERIMENT}' ordered by best validation AUC")
    for column in ("run id", "name", "learning_rate", "max_depth", "n_estimators", "best_val_auc", "final_val_logloss"):
        table.add_column(column, justify="right" if column not in ("run id", "name") else "left")
    for run in runs:
        p, m = run.data.params, run.data.metrics
        table.add_row(
            run.run_id[:8], run.info.run_name, p.get("learning_rate", ""), p.get("max_depth", ""),
            p.get("n_estimators", ""), f"{m['best_val_auc'].value:.4f}", f"{m['final_val_logloss'].value:.4f}",
        )
    console.print(table)
    best = runs[0]
    console.print(f"\n[bold]$ cairn runs show {best.run_id}[/]")
    cairn.flush()
    env = dict(os.environ, CAIRN_TRACKING_URI=str(cairn.get_tracking_uri()), COLUMNS=str(width))
    subprocess.run([sys.executable, "-m", "cairn.cli", "runs", "show", best.run_id], env=env, check=False)

    from cairn.registry.demo_steps import run_registry_demo

    console.rule("[bold]Model registry: gates, promotion, rollback")
    shipped = run_registry_demo(client, experiment.experiment_id, console)

    console.rule("[bold]Datasets, diff and lineage")
    run_dataset_demo(client, experiment.experiment_id, console)

    if shipped is not None:
        from cairn.registry.demo_steps import MODEL_NAME
        from cairn.serving.demo_steps import run_serving_demo

        console.rule("[bold]Serving: canary and shadow traffic, compare, rollback")
        x_val, y_val = data[1], data[3]
        run_serving_demo(client, MODEL_NAME, x_val, list(y_val), canary=shipped["better"], shadow=shipped["weak"],
                         console=console, tracking_uri=str(cairn.get_tracking_uri()))
    console.print(
        f"\nDone in {time.perf_counter() - started:.1f} s. Explore: [bold].venv/bin/cairn runs list "
        f"--experiment {EXPERIMENT}[/]  ·  [bold].venv/bin/cairn runs show {best.run_id[:8]}[/]"
    )


if __name__ == "__main__":
    main()
