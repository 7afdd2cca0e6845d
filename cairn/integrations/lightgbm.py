"""Autolog for LightGBM: ``lightgbm.train``, and so the scikit-learn API (``LGBMClassifier.fit``
calls it), records the call's params and settings, each round's eval metrics
(``<data>-<metric>``, step = round), feature importance (split and gain) as JSON artifacts, the
training and validation data as datasets, and the booster as a model package (Cairn's
cloudpickle flavor: rows in, ``Booster.predict`` out).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cairn.client import fluent

from . import _patching
from ._calls import bind, simple_arguments
from ._predictors import LightGBMBooster
from ._recording import (
    autolog_run,
    input_example,
    log_dataset,
    log_metrics,
    log_model,
    log_params,
)
from ._switch import Switch

FLAVOR = "lightgbm"
IMPORTANCE_TYPES = ("split", "gain")
IMPORTANCE_FILE = "feature_importance_{}.json"
# Where a booster's saved text lists every param it trained with.
PARAMS_START, PARAMS_END = "parameters:", "end of parameters"
_switch = Switch(FLAVOR, "lightgbm")


def autolog(disable: bool = False, log_models: bool = True, log_datasets: bool = True) -> None:
    """Record every ``lightgbm.train`` (the scikit-learn API's ``fit`` too) into the active run,
    or into a run started for it; ``disable=True`` restores the originals."""
    _switch.turn(_patch, disable, log_models, log_datasets)


def _patch(module: ModuleType) -> None:
    import lightgbm.engine
    import lightgbm.sklearn

    # The scikit-learn API calls the ``train`` its own module imported: patch each binding.
    for owner in (module, lightgbm.engine, lightgbm.sklearn):
        _patching.patch(FLAVOR, owner, "train", _train)


def _train(original: Any) -> Any:
    def train(*args: Any, **kwargs: Any) -> Any:
        if _patching.is_nested():
            return original(*args, **kwargs)
        bound = bind(original, *args, **kwargs)
        train_set = bound.arguments["train_set"]
        # Read the raw rows now: LightGBM frees them once the Dataset is constructed.
        rows = train_set.data
        with _patching.outermost(), autolog_run():
            given = {**(bound.arguments.get("params") or {}), **simple_arguments(bound, skip=("params",))}
            log_params(given)
            if _switch.settings.log_datasets:
                _log_data(train_set, bound.arguments.get("valid_sets") or (),
                          bound.arguments.get("valid_names") or ())
            bound.arguments["callbacks"] = [*(bound.arguments.get("callbacks") or []), _log_round]
            booster = original(*bound.args, **bound.kwargs)
            log_params({k: v for k, v in _booster_params(booster).items() if k not in given})
            _log_importance(booster)
            if _switch.settings.log_models:
                log_model(LightGBMBooster(booster), input_example(rows))
            return booster

    return train


def _booster_params(booster: Any) -> dict[str, str]:
    """Every param the booster trained with, defaults included: the ``[name: value]`` lines of
    the ``parameters:`` section of its saved text."""
    try:
        text = booster.model_to_string()
    except Exception:
        return {}
    params = {}
    inside = False
    for line in text.splitlines():
        if line == PARAMS_START:
            inside = True
        elif line == PARAMS_END:
            break
        elif inside and line.startswith("[") and line.endswith("]") and ": " in line:
            key, _, value = line[1:-1].partition(": ")
            params[key] = value
    return params


def _log_round(env: Any) -> None:
    """A LightGBM callback: each round's eval results, step = round."""
    metrics = {f"{item[0]}-{item[1]}": item[2] for item in env.evaluation_result_list or ()}
    log_metrics(metrics, step=env.iteration)


def _log_data(train_set: Any, valid_sets: Any, valid_names: Any) -> None:
    if isinstance(train_set.data, str):
        return  # a file LightGBM reads itself
    log_dataset(train_set.data, train_set.label, "lightgbm-training", "training")
    for i, valid in enumerate(valid_sets):
        if valid is train_set or valid.data is None or isinstance(valid.data, str):
            continue
        name = valid_names[i] if i < len(valid_names) else f"valid_{i}"
        log_dataset(valid.data, valid.label, f"lightgbm-{name}", "evaluation")


def _log_importance(booster: Any) -> None:
    names = booster.feature_name()
    for kind in IMPORTANCE_TYPES:
        try:
            values = booster.feature_importance(importance_type=kind)
            fluent.log_dict({str(n): float(v) for n, v in zip(names, values)}, IMPORTANCE_FILE.format(kind))
        except Exception:  # the store refused the artifact: the training still returns
            pass
