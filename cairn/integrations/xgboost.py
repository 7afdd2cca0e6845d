"""Autolog for XGBoost: ``xgboost.train``, and so the scikit-learn API (``XGBClassifier.fit``
calls it), records the train call's params (with the booster's defaults from its config), each
round's eval metrics (``<data>-<metric>``, step = round), feature importance (weight and gain)
as JSON artifacts, the training and eval ``DMatrix`` data as datasets, and the booster as a
model package (Cairn's cloudpickle flavor: rows in, ``Booster.predict`` out).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from cairn.client import fluent

from . import _patching
from ._calls import bind, simple_arguments
from ._predictors import XGBoostBooster
from ._recording import (
    INPUT_EXAMPLE_ROWS,
    autolog_run,
    dataset_frame,
    log_dataset,
    log_metrics,
    log_model,
    log_params,
)
from ._switch import Switch

FLAVOR = "xgboost"
IMPORTANCE_TYPES = ("weight", "gain")
IMPORTANCE_FILE = "feature_importance_{}.json"
# The sections of a booster's saved config that hold its training params, defaults included.
CONFIG_SUFFIX = "_param"
_switch = Switch(FLAVOR, "xgboost")


def autolog(disable: bool = False, log_models: bool = True, log_datasets: bool = True) -> None:
    """Record every ``xgboost.train`` (the scikit-learn API's ``fit`` too) into the active run,
    or into a run started for it; ``disable=True`` restores the originals."""
    _switch.turn(_patch, disable, log_models, log_datasets)


def _patch(module: ModuleType) -> None:
    import xgboost.sklearn
    import xgboost.training

    # The scikit-learn API calls the ``train`` its own module imported: patch each binding.
    for owner in (module, xgboost.training, xgboost.sklearn):
        _patching.patch(FLAVOR, owner, "train", _train)


def _train(original: Any) -> Any:
    def train(*args: Any, **kwargs: Any) -> Any:
        if _patching.is_nested():
            return original(*args, **kwargs)
        bound = bind(original, *args, **kwargs)
        with _patching.outermost(), autolog_run():
            params = dict(bound.arguments.get("params") or {})
            log_params({**params, **simple_arguments(bound, skip=("params",))})
            if _switch.settings.log_datasets:
                _log_data(bound.arguments["dtrain"], bound.arguments.get("evals") or ())
            bound.arguments["callbacks"] = [*(bound.arguments.get("callbacks") or []), _round_logger()]
            booster = original(*bound.args, **bound.kwargs)
            _log_defaults(booster, params)
            _log_importance(booster)
            if _switch.settings.log_models:
                log_model(XGBoostBooster(booster), _example(bound.arguments["dtrain"]))
            return booster

    return train


def _round_logger() -> Any:
    import xgboost

    class RoundLogger(xgboost.callback.TrainingCallback):
        """Each round's latest eval metric values, step = round."""

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            metrics = {}
            for data, by_metric in evals_log.items():
                for metric, values in by_metric.items():
                    last = values[-1]
                    metrics[f"{data}-{metric}"] = last[0] if isinstance(last, tuple) else last
            log_metrics(metrics, step=epoch)
            return False

    return RoundLogger()


def _frame(matrix: Any) -> Any:
    data = matrix.get_data()
    label = matrix.get_label()
    frame = dataset_frame(data, label if len(label) else None)
    names = matrix.feature_names
    if names:
        frame.columns = [*names, *frame.columns[len(names):]]
    return frame


def _log_data(dtrain: Any, evals: Any) -> None:
    log_dataset(_frame(dtrain), None, "xgboost-training", "training")
    for matrix, name in evals:
        if matrix is not dtrain:
            log_dataset(_frame(matrix), None, f"xgboost-{name}", "evaluation")


def _example(dtrain: Any) -> Any:
    """The first training rows, as float64: a DMatrix holds float32, but the rows callers predict
    on are float64 (a float64 signature accepts both)."""
    try:
        return dtrain.get_data()[:INPUT_EXAMPLE_ROWS].toarray().astype("float64")
    except Exception:
        return None


def _log_defaults(booster: Any, given: dict[str, Any]) -> None:
    """The booster's own params (defaults included) that the call did not set: every
    ``*_param`` section of its saved config."""
    try:
        config = json.loads(booster.save_config())
    except Exception:
        return
    found: dict[str, Any] = {}
    _collect_params(config, found)
    log_params({k: v for k, v in found.items() if k not in given})


def _collect_params(node: Any, found: dict[str, Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect_params(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.endswith(CONFIG_SUFFIX) and isinstance(value, dict):
                found.update({k: v for k, v in value.items() if isinstance(v, str)})
            else:
                _collect_params(value, found)


def _log_importance(booster: Any) -> None:
    for kind in IMPORTANCE_TYPES:
        try:
            scores = booster.get_score(importance_type=kind)
        except Exception:
            continue
        try:
            fluent.log_dict({str(k): float(v) for k, v in scores.items()}, IMPORTANCE_FILE.format(kind))
        except Exception:  # the store refused the artifact: the training still returns
            pass
