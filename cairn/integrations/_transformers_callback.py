"""``CairnCallback``: a ``TrainerCallback`` that records a training into the active run, or
into a run it starts at ``on_train_begin`` and ends at ``on_train_end``."""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from cairn.client import fluent

from ._predictors import TransformersModel
from ._recording import log_dataset, log_metrics, log_model, log_params
from ._torch_data import first_features

# Rows of a map-style dataset read to digest it; a larger one is recorded by its first rows.
MAX_DATASET_ROWS = 100_000
INPUT_IDS = "input_ids"


class CairnCallback(TrainerCallback):  # type: ignore[misc]
    """Records the training arguments, the model config, every logged value and the model."""

    def __init__(self, log_models: bool = True, log_datasets: bool = True) -> None:
        self.log_models = log_models
        self.log_datasets = log_datasets
        self._started_run = False
        self._logged_eval_data = False

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if fluent.active_run() is None:
            fluent.start_run()
            self._started_run = True
        params = {k: v for k, v in args.to_dict().items() if v is None or isinstance(v, (bool, int, float, str, list))}
        config = getattr(model, "config", None)
        if config is not None:
            params.update({f"model.{k}": v for k, v in config.to_diff_dict().items()
                           if v is None or isinstance(v, (bool, int, float, str))})
        log_params(params)
        if self.log_datasets:
            self._log_data(kwargs.get("train_dataloader"), "training")

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # The eval loader exists from the first evaluation on, not at the start of training.
        if state.is_world_process_zero and self.log_datasets and not self._logged_eval_data:
            self._logged_eval_data = True
            self._log_data(kwargs.get("eval_dataloader"), "evaluation")

    def _log_data(self, loader: Any, context: str) -> None:
        rows = _rows(getattr(loader, "dataset", None))
        if rows is not None:
            log_dataset(rows, None, f"transformers-{context}", context)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if state.is_world_process_zero and logs:
            log_metrics(logs, step=state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if self.log_models and model is not None:
            log_model(TransformersModel(model), _example(kwargs.get("train_dataloader")))
        if self._started_run:
            self._started_run = False
            fluent.end_run()


def _rows(dataset: Any) -> Any:
    """A map-style dataset's rows as a DataFrame (a ``datasets.Dataset`` through ``to_pandas``,
    a sequence of dicts of tensors or lists column by column); ``None`` for an iterable one."""
    if dataset is None:
        return None
    if hasattr(dataset, "to_pandas"):
        return dataset.to_pandas()
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        return None
    import numpy as np
    import pandas as pd

    items = [dataset[i] for i in range(min(len(dataset), MAX_DATASET_ROWS))]
    if not items or not isinstance(items[0], dict):
        return None
    columns: dict[str, Any] = {}
    for key in items[0]:
        values = np.stack([np.asarray(_plain(item[key])) for item in items])
        if values.ndim == 1:
            columns[key] = values
        else:
            flat = values.reshape(len(values), -1)
            columns.update({f"{key}_{i}": flat[:, i] for i in range(flat.shape[1])})
    return pd.DataFrame(columns)


def _plain(value: Any) -> Any:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else value


def _example(loader: Any) -> Any:
    """The first token-id rows of the first training batch."""
    if loader is None:
        return None
    try:
        batch = next(iter(loader))
    except Exception:
        return None
    if isinstance(batch, dict) and INPUT_IDS in batch:
        return batch[INPUT_IDS][:5].detach().cpu().numpy()
    return first_features(loader)
