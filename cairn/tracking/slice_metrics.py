"""Slice metrics: a metric computed per slice of the data (per country, per merchant category…),
each with the slice's row count, so a model good on average but bad on one slice shows it.

They are stored as ordinary run metrics under one naming scheme, so the mlflow UI and client,
run diffs and metric gates see them without a new table:

    slice/country:FR/auc            the metric on the rows where country == FR
    slice/country:FR/rows           how many rows that slice has
    slice/country:FR/merchant_category:food/recall     (several ``by`` columns)

Slice values are written with characters outside MLflow's key set replaced by ``_``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.errors import InvalidParameter

from .validation import MAX_KEY_LENGTH

PREFIX = "slice/"
ROWS = "rows"
MAX_SLICES = 1000
MAX_BY_COLUMNS = 4
# Metric names ``log_slice_metrics`` computes; each takes (y_true, y_pred) of one slice.
METRICS = ("auc", "accuracy", "precision", "recall", "f1", "mae", "rmse", "r2")
_UNSAFE = re.compile(r"[^\w.\- ]")


@dataclass(frozen=True)
class SliceMetric:
    """One metric of one slice: ``slice`` like ``country:FR/merchant_category:food``."""

    slice: str
    metric: str
    value: float
    rows: int


def slice_name(columns: Sequence[str], values: Sequence[Any]) -> str:
    return "/".join(f"{_safe(c)}:{_safe(v)}" for c, v in zip(columns, values))


def metric_key(slice_: str, metric: str) -> str:
    return f"{PREFIX}{slice_}/{metric}"


def compute_slice_metrics(y_true: Any, y_pred: Any, by: Any, metrics: Sequence[str]) -> list[SliceMetric]:
    """Each of ``metrics`` on each slice of ``by`` (a DataFrame of the slicing columns, aligned
    with ``y_true`` and ``y_pred``). A metric that cannot be computed on a slice (AUC on a slice
    with one class) is left out for that slice; its row count is still recorded."""
    import numpy as np
    import pandas as pd

    unknown = [m for m in metrics if m not in METRICS]
    if not metrics or unknown:
        raise InvalidParameter(f"Unknown slice metric(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                               f"choose from {', '.join(METRICS)}.")
    frame = by.to_frame() if isinstance(by, pd.Series) else by
    if not isinstance(frame, pd.DataFrame) or frame.shape[1] == 0:
        raise InvalidParameter("by must be a DataFrame of the slicing columns, e.g. df[['country']].")
    if frame.shape[1] > MAX_BY_COLUMNS:
        raise InvalidParameter(f"Slice by at most {MAX_BY_COLUMNS} columns, got {frame.shape[1]}.")
    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    if not len(truth) == len(predicted) == len(frame):
        raise InvalidParameter(f"y_true ({len(truth)}), y_pred ({len(predicted)}) and by ({len(frame)}) "
                               "must have the same number of rows.")
    columns = [str(c) for c in frame.columns]
    groups = frame.reset_index(drop=True).groupby(list(frame.columns), dropna=False, sort=True).indices
    if len(groups) > MAX_SLICES:
        raise InvalidParameter(f"by makes {len(groups)} slices; at most {MAX_SLICES} are recorded. "
                               "Slice by fewer or coarser columns.")
    found: list[SliceMetric] = []
    for values, index in groups.items():
        name = slice_name(columns, values if isinstance(values, tuple) else (values,))
        if len(metric_key(name, max([*metrics, ROWS], key=len))) > MAX_KEY_LENGTH:
            raise InvalidParameter(f"The slice name {name[:60]!r}… is too long for a metric key.")
        for metric in metrics:
            value = _metric(metric, truth[index], predicted[index])
            if value is not None:
                found.append(SliceMetric(name, metric, value, len(index)))
        found.append(SliceMetric(name, ROWS, float(len(index)), len(index)))
    return found


def as_metrics(found: Sequence[SliceMetric]) -> dict[str, float]:
    """The run metrics ``found`` is stored as."""
    return {metric_key(s.slice, s.metric): s.value for s in found}


def read_slices(metrics: Mapping[str, float]) -> list[SliceMetric]:
    """The slice metrics among a run's metrics, each with its slice's row count (0 if unknown)."""
    rows: dict[str, int] = {}
    values: list[tuple[str, str, float]] = []
    for key, value in metrics.items():
        if not key.startswith(PREFIX) or "/" not in key[len(PREFIX):]:
            continue
        slice_, _, metric = key[len(PREFIX):].rpartition("/")
        if metric == ROWS:
            rows[slice_] = int(value) if math.isfinite(value) else 0
        else:
            values.append((slice_, metric, value))
    return sorted((SliceMetric(s, m, v, rows.get(s, 0)) for s, m, v in values), key=lambda x: (x.metric, x.value))


def worst_slices(metrics: Mapping[str, float], per_metric: int = 3) -> list[SliceMetric]:
    """The lowest-scoring slices of each metric (lower is worse for every metric but the
    errors ``mae`` and ``rmse``, where higher is)."""
    by_metric: dict[str, list[SliceMetric]] = {}
    for found in read_slices(metrics):
        by_metric.setdefault(found.metric, []).append(found)
    worst: list[SliceMetric] = []
    for metric, items in sorted(by_metric.items()):
        ordered = sorted(items, key=lambda s: s.value, reverse=metric in ("mae", "rmse"))
        worst.extend(ordered[:per_metric])
    return worst


def _metric(name: str, truth: Any, predicted: Any) -> float | None:
    import numpy as np
    from sklearn import metrics as sk

    try:
        if name == "auc":
            if len(np.unique(truth)) < 2:
                return None
            return float(sk.roc_auc_score(truth, predicted))
        if name == "mae":
            return float(sk.mean_absolute_error(truth, predicted))
        if name == "rmse":
            return float(math.sqrt(sk.mean_squared_error(truth, predicted)))
        if name == "r2":
            return float(sk.r2_score(truth, predicted)) if len(truth) > 1 else None
        labels = np.asarray(predicted)
        if labels.dtype.kind == "f" and set(np.unique(truth)) <= {0, 1}:
            labels = (labels >= 0.5).astype(int)  # scores against 0/1 labels: the usual cut
        if name == "accuracy":
            return float(sk.accuracy_score(truth, labels))
        scorer = {"precision": sk.precision_score, "recall": sk.recall_score, "f1": sk.f1_score}[name]
        return float(scorer(truth, labels, zero_division=0))
    except ValueError as exc:
        raise InvalidParameter(f"Cannot compute {name} on a slice: {exc}") from None


def _safe(value: Any) -> str:
    text = "null" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return _UNSAFE.sub("_", text).strip() or "_"
