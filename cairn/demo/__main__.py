"""`make demo`: three real training runs on the embedded store, then what Cairn can tell about them.

Trains the three configurations of ``training.GRID``, prints the runs ordered by validation AUC
and ``cairn runs show`` for the best one; then registers, gates, promotes and rolls back the model
(``registry``), shows its data (``datasets``), serves it with canary and shadow traffic
(``serving``) and reproduces the Production version (``reproduce``). The store stays in ./.cairn
for you to explore.
"""

from __future__ import annotations

import time


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from cairn.client import fluent
    from cairn.client.client import Client
    from cairn.demo.commands import show
    from cairn.demo.datasets import run_dataset_demo
    from cairn.demo.experiment import BEST_METRIC, EXPERIMENT, MODEL_NAME
    from cairn.demo.registry import run_registry_demo
    from cairn.demo.reproduce import run_reproduce_demo
    from cairn.demo.serving import run_serving_demo
    from cairn.demo.training import GRID, load_split, train_one

    # The tables here are wide; on a pipe or a narrow terminal draw them at 140 columns anyway.
    width = max(Console().width, 140)
    console = Console(width=width)
    started = time.perf_counter()
    data = load_split()
    experiment = fluent.set_experiment(EXPERIMENT)
    tracking_uri = str(fluent.get_tracking_uri())
    console.print(f"[bold]Cairn demo[/] — store: {tracking_uri}   experiment: {EXPERIMENT}")
    client = Client()

    for i, params in enumerate(GRID, start=1):
        # The first configuration trains on a cleaned copy (outliers dropped), so the runs differ
        # in their data as well as their hyperparameters; `cairn diff` shows both.
        # The second is recorded by cairn.autolog(): params with defaults, curve and model package.
        with console.status(f"training run {i}/{len(GRID)}: {params}"):
            train_one(params, without_outliers=i == 1, autolog=i == 2)
        note = {1: " (training data without outliers)", 2: " (recorded by cairn.autolog())"}.get(i, "")
        console.print(f"  ✓ run {i}/{len(GRID)} logged  {params}{note}")

    runs = fluent.search_runs(
        experiment_ids=[experiment.experiment_id],
        order_by=[f"metrics.{BEST_METRIC} DESC"],
        output_format="list",
        max_results=10,
    )
    table = Table(title=f"Runs of '{EXPERIMENT}' ordered by best validation AUC")
    for column in ("run id", "name", "learning_rate", "max_depth", "n_estimators", BEST_METRIC, "final_val_logloss"):
        table.add_column(column, justify="right" if column not in ("run id", "name") else "left")
    for run in runs:
        p, m = run.data.params, run.data.metrics
        table.add_row(
            run.run_id[:8], run.info.run_name, p.get("learning_rate", ""), p.get("max_depth", ""),
            p.get("n_estimators", ""), f"{m[BEST_METRIC].value:.4f}", f"{m['final_val_logloss'].value:.4f}",
        )
    console.print(table)
    best = runs[0]
    fluent.flush()
    show(console, ["runs", "show", best.run_id], tracking_uri)

    console.rule("[bold]Model registry: gates, promotion, rollback")
    shipped = run_registry_demo(client, experiment.experiment_id, console, tracking_uri)

    console.rule("[bold]Datasets, diff and lineage")
    run_dataset_demo(client, experiment.experiment_id, console, tracking_uri)

    if shipped is not None:
        console.rule("[bold]Serving: canary and shadow traffic, compare, rollback")
        x_val, y_val = data[1], data[3]
        run_serving_demo(client, MODEL_NAME, x_val, list(y_val), canary=shipped["better"], shadow=shipped["weak"],
                         console=console, tracking_uri=tracking_uri)
        console.rule("[bold]Reproduce the production model from what its run recorded")
        run_reproduce_demo(console, tracking_uri)
    console.print(
        f"\nDone in {time.perf_counter() - started:.1f} s. Explore: [bold].venv/bin/cairn runs list "
        f"--experiment {EXPERIMENT}[/]  ·  [bold].venv/bin/cairn runs show {best.run_id[:8]}[/]  ·  "
        "in a browser: [bold].venv/bin/cairn ui[/]"
    )


if __name__ == "__main__":
    main()
