"""The datasets part of ``make demo``: log each run's data split, then show a dataset profile,
``cairn diff`` between the two best runs, and ``cairn lineage`` of the production model.

Three calls for ``cairn.demo``::

    with cairn.start_run(...):
        log_split(x_train, y_train, x_val, y_val, feature_names)     # in train_one
    data = drop_outliers(data)                                       # one run trains on cleaned data
    run_dataset_demo(client, experiment_id, console)                 # after the registry demo

``drop_outliers`` gives a run a real data change (fewer rows, a narrower feature) for the diff to
show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.client.client import Client

RANK_METRIC = "best_val_auc"
MODEL_NAME = "breast-cancer-gbm"
OUTLIER_QUANTILE = 0.95


def log_split(x_train: Any, y_train: Any, x_val: Any, y_val: Any, feature_names: Sequence[str] | None = None) -> None:
    """Log the training and validation sets (features plus a ``target`` column) on the active run."""
    import cairn

    for context, x, y in (("training", x_train, y_train), ("validation", x_val, y_val)):
        cairn.log_dataset(_frame(x, y, feature_names), f"breast-cancer-{context}", context=context)


def drop_outliers(data: tuple[Any, Any, Any, Any], column: int = 0) -> tuple[Any, Any, Any, Any]:
    """``(x_train, x_val, y_train, y_val)`` without the training rows whose ``column`` is above
    its 95th percentile: a cleaning step that changes the training data, not the validation set."""
    import numpy as np

    x_train, x_val, y_train, y_val = data
    keep = x_train[:, column] <= np.quantile(x_train[:, column], OUTLIER_QUANTILE)
    return x_train[keep], x_val, y_train[keep], y_val


def run_dataset_demo(client: Client, experiment_id: str, console: Console, model_name: str = MODEL_NAME) -> None:
    """Print the best run's training-data profile, the diff between the two best runs (by
    ``best_val_auc``), and the lineage of ``model_name``'s Production version when there is one."""
    from cairn import cli_datasets, cli_datasets_render
    from cairn.errors import CairnError

    runs = [r for r in client.search_runs([experiment_id], order_by=[f"metrics.{RANK_METRIC} DESC"]).items
            if RANK_METRIC in r.data.metrics and not math.isnan(r.data.metrics[RANK_METRIC].value)]
    if len(runs) < 2:
        console.print(f"[yellow]Datasets demo skipped: it needs two runs that logged {RANK_METRIC}.[/]")
        return
    best, second = runs[0], runs[1]
    training = [i.dataset for i in best.inputs if i.tags.get("mlflow.data.context") == "training"]
    if training:
        record = client.get_dataset(training[0].digest)
        console.print(f"\n[bold]$ cairn datasets show {training[0].name}@{training[0].digest[:8]}[/]")
        uses = client.list_dataset_runs(record.dataset.digest)
        cli_datasets_render.render_dataset(cli_datasets.dataset_doc(record, uses), console)
    else:
        console.print("[yellow]The best run logged no training dataset (see log_split).[/]")
    console.print(f"\n[bold]$ cairn diff {second.run_id[:8]} {best.run_id[:8]}[/]")
    cli_datasets_render.render_diff(client.diff_runs(second.run_id, best.run_id).to_dict(), console)
    try:
        graph = client.lineage(f"models:/{model_name}/Production")
    except CairnError as exc:
        console.print(f"[yellow]Lineage skipped: {exc.message}[/]")
        return
    console.print(f"\n[bold]$ cairn lineage models:/{model_name}/Production[/]")
    cli_datasets_render.render_lineage(graph.to_dict(), console)


def _frame(x: Any, y: Any, feature_names: Sequence[str] | None) -> Any:
    import pandas as pd

    names = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=names)
    frame["target"] = y
    return frame
