"""Autolog for scikit-learn: every estimator's ``fit`` and the ``*SearchCV`` searches.

A fit records the estimator's params (``get_params(deep=True)``, defaults included), the
training data as a dataset (digest, schema, profile), the training score, the per-iteration
curves some estimators keep (``loss_curve_``, ``validation_scores_``, ``train_score_``), and the
fitted estimator as a model package (sklearn flavor, signature and input example from the
training rows). A search also records each candidate as a child run (its params and CV scores)
and its best params and score on the parent; its best estimator is a second package.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cairn.client import fluent

from . import _patching
from ._calls import bind
from ._recording import (
    autolog_run,
    input_example,
    log_dataset,
    log_metrics,
    log_model,
    log_params,
)
from ._switch import Switch

FLAVOR = "sklearn"
BEST_ESTIMATOR_PATH = "best_estimator"
# Per-iteration curves some estimators keep after fit, and the metric each becomes.
CURVES = {"loss_curve_": "training_loss", "train_score_": "training_loss", "validation_scores_": "validation_score"}
# The cv_results_ columns each candidate run gets as metrics.
CV_RESULT_PREFIXES = ("mean_", "std_", "rank_")

# Modules never walked for estimators: tests, vendored code, opt-in experimental switches.
SKIPPED_MODULES = frozenset({"tests", "externals", "setup", "conftest", "experimental", "estimator_checks"})

_switch = Switch(FLAVOR, "sklearn")


def autolog(disable: bool = False, log_models: bool = True, log_datasets: bool = True) -> None:
    """Record every scikit-learn ``fit`` (and each ``*SearchCV`` candidate, as a child run) into
    the active run, or into a run started for the fit; ``disable=True`` restores the originals."""
    _switch.turn(_patch, disable, log_models, log_datasets)


def _patch(module: ModuleType) -> None:
    from sklearn.model_selection._search import BaseSearchCV

    _patching.patch(FLAVOR, BaseSearchCV, "fit", _search_fit)
    for cls in _estimator_classes(module):
        # Patch the class that defines the fit the estimator runs (often an abstract base).
        owner = next((c for c in cls.__mro__ if "fit" in c.__dict__), None)
        if owner is not None and not issubclass(owner, BaseSearchCV):
            _patching.patch(FLAVOR, owner, "fit", _estimator_fit)


def _estimator_classes(sklearn: ModuleType) -> set[type]:
    """The estimators of scikit-learn's public modules. Not ``sklearn.utils.all_estimators``:
    walking every package, it imports the vendored array-API shims, and with them PyTorch."""
    import importlib
    import pkgutil
    import warnings

    from sklearn.base import BaseEstimator

    found: set[type] = set()
    pending = [sklearn]
    while pending:
        package = pending.pop()
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            last = info.name.rsplit(".", 1)[-1]
            if last.startswith("_") or last in SKIPPED_MODULES:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FutureWarning)
                    module = importlib.import_module(info.name)
            except ImportError:  # a module needing an optional dependency
                continue
            if info.ispkg:
                pending.append(module)
            found.update(value for value in vars(module).values()
                         if isinstance(value, type) and issubclass(value, BaseEstimator))
    return found


def _estimator_fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _patching.is_nested():
            return original(self, *args, **kwargs)
        features, target = _training_data(original, self, args, kwargs)
        with _patching.outermost(), autolog_run():
            _log_inputs(self, features, target)
            fitted = original(self, *args, **kwargs)
            _log_outputs(self, features, target)
            return fitted

    return fit


def _search_fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _patching.is_nested():
            return original(self, *args, **kwargs)
        features, target = _training_data(original, self, args, kwargs)
        with _patching.outermost(), autolog_run():
            _log_inputs(self, features, target)
            fitted = original(self, *args, **kwargs)
            _log_candidates(self)
            _log_outputs(self, features, target)
            if _switch.settings.log_models and hasattr(self, "best_estimator_"):
                log_model(self.best_estimator_, input_example(features), BEST_ESTIMATOR_PATH)
            return fitted

    return fit


def _training_data(original: Any, estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    try:
        values = list(bind(original, estimator, *args, **kwargs).arguments.values())
    except TypeError:
        return None, None
    return (values[1] if len(values) > 1 else None), (values[2] if len(values) > 2 else None)


def _log_inputs(estimator: Any, features: Any, target: Any) -> None:
    log_params(estimator.get_params(deep=True))
    if _switch.settings.log_datasets and features is not None:
        log_dataset(features, target, f"{type(estimator).__name__}-training", "training")


def _log_outputs(estimator: Any, features: Any, target: Any) -> None:
    if features is not None and target is not None and hasattr(estimator, "score"):
        try:
            log_metrics({"training_score": estimator.score(features, target)})
        except Exception:  # an estimator whose score needs more than (X, y)
            pass
    # A pipeline's curves are its last step's.
    fitted = getattr(estimator, "_final_estimator", estimator)
    for attribute, key in CURVES.items():
        curve = getattr(fitted, attribute, None)
        if curve is not None and hasattr(curve, "__len__"):
            for step, value in enumerate(curve):
                log_metrics({key: value}, step=step)
    if _switch.settings.log_models:
        log_model(estimator, input_example(features))


def _log_candidates(search: Any) -> None:
    """Each candidate of the search as a child run; the best params and score on the parent."""
    results = getattr(search, "cv_results_", None)
    if not results:
        return
    parent = fluent.active_run()
    name = parent.info.run_name if parent is not None else "search"
    for i, params in enumerate(results["params"]):
        scores = {key: values[i] for key, values in results.items() if key.startswith(CV_RESULT_PREFIXES)}
        with fluent.start_run(run_name=f"{name}-candidate-{i}", nested=True, capture=False):
            log_params(params)
            log_metrics(scores)
    if hasattr(search, "best_params_"):
        log_params({f"best_{key}": value for key, value in search.best_params_.items()})
    if hasattr(search, "best_score_"):
        log_metrics({"best_cv_score": search.best_score_})
