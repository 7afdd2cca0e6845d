"""The datasets part of ``make demo``: log each run's data split, then show a dataset profile,
``cairn diff`` between the two best runs, and ``cairn lineage`` of the production model.

Three calls from the rest of the demo::

    with fluent.start_run(...):
        log_split(x_train, y_train, x_val, y_val, feature_names)     # in training.train_one
    data = drop_outliers(data)                                       # one run trains on cleaned data
    run_dataset_demo(client, experiment_id, console, tracking_uri)   # after the registry demo

``drop_outliers`` gives a run a real data change (fewer rows, a narrower feature) for the diff to
show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.demo.commands import show
from cairn.demo.experiment import BEST_METRIC, MODEL_NAME, ranked_runs

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.client.client import Client

OUTLIER_QUANTILE = 0.95


def log_split(x_train: Any, y_train: Any, x_val: Any, y_val: Any, feature_names: Sequence[str] | None = None) -> None:
    """Log the training and validation sets (features plus a ``target`` column) on the active run."""
    from cairn.client import fluent

    for context, x, y in (("training", x_train, y_train), ("validation", x_val, y_val)):
        fluent.log_dataset(_frame(x, y, feature_names), f"breast-cancer-{context}", context=context)


def drop_outliers(data: tuple[Any, Any, Any, Any], column: int = 0) -> tuple[Any, Any, Any, Any]:
    """``(x_train, x_val, y_train, y_val)`` without the training rows whose ``column`` is above
    its 95th percentile: a cleaning step that changes the training data, not the validation set."""
    import numpy as np

    x_train, x_val, y_train, y_val = data
    keep = x_train[:, column] <= np.quantile(x_train[:, column], OUTLIER_QUANTILE)
    return x_train[keep], x_val, y_train[keep], y_val


def run_dataset_demo(client: Client, experiment_id: str, console: Console, tracking_uri: str,
                     model_name: str = MODEL_NAME) -> None:
    """Show the best run's training-data profile, the diff between the two best runs (by
    ``BEST_METRIC``), and the lineage of ``model_name``'s Production version, with ``cairn`` on
    the store at ``tracking_uri``."""
    runs = ranked_runs(client, experiment_id)
    if len(runs) < 2:
        console.print(f"[yellow]Datasets demo skipped: it needs two runs that logged {BEST_METRIC}.[/]")
        return
    best, second = runs[0], runs[1]
    training = [i.dataset for i in best.inputs if i.tags.get("mlflow.data.context") == "training"]
    if training:
        show(console, ["datasets", "show", f"{training[0].name}@{training[0].digest[:8]}"], tracking_uri)
    else:
        console.print("[yellow]The best run logged no training dataset (see log_split).[/]")
    show(console, ["diff", second.run_id[:8], best.run_id[:8]], tracking_uri)
    show(console, ["lineage", f"models:/{model_name}/Production"], tracking_uri)


def _frame(x: Any, y: Any, feature_names: Sequence[str] | None) -> Any:
    import pandas as pd

    names = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=names)
    frame["target"] = y
    return frame
