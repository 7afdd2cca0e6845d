"""What every framework's autolog does the same way: find or start the run, and log params,
metrics, datasets and the model into it without ever stopping the training it records.

A logging call that fails (a store that went away, a value the store refuses) becomes a warning
in the ``cairn.integrations`` log: the user's ``fit`` still returns its model.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cairn.client import fluent
from cairn.entities import RunStatus
from cairn.tracking.validation import MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH

# Rows of the training input kept as the model package's input example.
INPUT_EXAMPLE_ROWS = 5
MODEL_PATH = "model"

_log = logging.getLogger("cairn.integrations")


@dataclass(frozen=True)
class Settings:
    """One framework's autolog options, as ``autolog()`` received them."""

    log_models: bool = True
    log_datasets: bool = True


@contextlib.contextmanager
def autolog_run() -> Iterator[str]:
    """The active run's id; without one, a run started here and ended when the block ends
    (FAILED if the training raised), as MLflow's autolog does."""
    active = fluent.active_run()
    if active is not None:
        yield active.run_id
        return
    run = fluent.start_run()
    try:
        yield run.run_id
    except BaseException as exc:
        status = RunStatus.KILLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
        quietly("end the run", fluent.end_run, status.value)
        raise
    fluent.end_run()


def quietly(what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except Exception:
        _log.warning("Autolog could not %s", what, exc_info=True)
        return None


def param_text(value: Any) -> str:
    text = value.__name__ if isinstance(value, type) else str(value)
    return text[:MAX_PARAM_VALUE_LENGTH]


def flat_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` as ``{"a.b": "1"}``; values as text, cut to the store's limit."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flat_params(value, f"{name}."))
        elif len(name) <= MAX_KEY_LENGTH:
            flat[name] = param_text(value)
    return flat


def log_params(params: Mapping[str, Any]) -> None:
    quietly("log params", fluent.log_params, flat_params(params))


def number(value: Any) -> float | None:
    """``value`` as a float when it is one real number (Python, NumPy, or a one-element tensor);
    ``None`` for anything else."""
    if hasattr(value, "item"):
        try:
            value = value.item()
        except (ValueError, RuntimeError):  # more than one element
            return None
    return float(value) if isinstance(value, (int, float)) else None


def log_metrics(metrics: Mapping[str, Any], step: int | None = None) -> None:
    numbers = {key: n for key, value in metrics.items() if (n := number(value)) is not None}
    if numbers:
        quietly("log metrics", fluent.log_metrics, numbers, step)


def log_model(model: Any, input_example: Any = None, name: str = MODEL_PATH) -> None:
    quietly(f"log the model '{name}'", fluent.log_model, model, name, input_example=input_example)


def log_dataset(features: Any, target: Any, name: str, context: str) -> None:
    """Log the features (and target, as a ``target`` column) as a dataset of the run, with its
    content digest, schema and profile."""
    frame = quietly(f"read the {context} data", dataset_frame, features, target)
    if frame is not None:
        quietly(f"log the {context} dataset", fluent.log_dataset, frame, name, context=context)


def dataset_frame(features: Any, target: Any = None) -> Any:
    import numpy as np
    import pandas as pd

    if hasattr(features, "toarray"):  # a SciPy sparse matrix
        features = features.toarray()
    if isinstance(features, pd.DataFrame):
        frame = features.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
    else:
        array = np.asarray(features)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        array = array.reshape(len(array), -1)
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if target is not None:
        values = np.asarray(target)
        if values.ndim == 2 and values.shape[1] == 1:  # a column vector is one target
            values = values[:, 0]
        if values.ndim == 1 and len(values) == len(frame):
            frame["target"] = values
        elif len(values) == len(frame):
            for i in range(values.reshape(len(values), -1).shape[1]):
                frame[f"target{i}"] = values.reshape(len(values), -1)[:, i]
    return frame


def input_example(features: Any) -> Any:
    """The first rows of a training input, as the package's input example; ``None`` when the
    input is not rows (a generator, a sparse matrix)."""
    try:
        import numpy as np
        import pandas as pd

        if isinstance(features, pd.DataFrame):
            return features.iloc[:INPUT_EXAMPLE_ROWS]
        if hasattr(features, "toarray"):
            return None
        array = np.asarray(features)
        return array[:INPUT_EXAMPLE_ROWS] if array.ndim >= 1 and array.dtype != object else None
    except Exception:
        return None
