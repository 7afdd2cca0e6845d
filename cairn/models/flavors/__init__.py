"""Flavors: how a model object is written to a package and read back.

Cairn writes three itself: ``sklearn`` (scikit-learn estimators, in the ``mlflow.sklearn``
layout so ``mlflow.pyfunc`` loads them without Cairn), ``cloudpickle`` (any object with
``predict``) and ``callable`` (a plain function of the input). It reads those, plus the
``sklearn`` packages the mlflow client writes (pickle, cloudpickle or skops). Any other MLflow
flavor is delegated to ``mlflow.pyfunc`` when mlflow is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from cairn.errors import InvalidParameter

from ..mlmodel import PYFUNC_FLAVOR, MLModel
from . import pickled, sklearn


class Predictor(Protocol):
    def predict(self, data: Any) -> Any: ...


def save_flavor(model: Any, folder: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Serialize ``model`` into ``folder``; the ``flavors`` block and the packages it needs."""
    if sklearn.is_sklearn_model(model):
        return sklearn.save(model, folder)
    if hasattr(model, "predict") and callable(model.predict):
        return pickled.save(model, folder, pickled.OBJECT_FLAVOR)
    if callable(model):
        return pickled.save(model, folder, pickled.CALLABLE_FLAVOR)
    raise InvalidParameter(
        f"Cannot package a {type(model).__name__}: give a scikit-learn estimator, an object with "
        "predict(), or a function of the input."
    )


def load_flavor(mlmodel: MLModel, folder: Path) -> Predictor:
    """The model in ``folder`` as an object with ``predict``, by the first flavor Cairn reads."""
    flavors = mlmodel.flavors
    loader = flavors.get(PYFUNC_FLAVOR, {}).get("loader_module")
    if sklearn.FLAVOR in flavors:
        return sklearn.load(folder, flavors[sklearn.FLAVOR], mlmodel.metadata)
    if loader == pickled.LOADER_MODULE:
        return pickled.load_from_folder(folder, flavors[PYFUNC_FLAVOR], mlmodel.metadata)
    return _load_with_mlflow(folder, sorted(flavors))


def _load_with_mlflow(folder: Path, flavors: list[str]) -> Predictor:
    named = ", ".join(f for f in flavors if f != PYFUNC_FLAVOR) or "none"
    if PYFUNC_FLAVOR not in flavors:
        raise InvalidParameter(f"The model has no python_function flavor (flavors: {named}); it cannot be served.")
    try:
        import mlflow.pyfunc
    except ImportError:
        raise InvalidParameter(
            f"Cairn does not load the '{named}' flavor itself; install mlflow to load it through mlflow.pyfunc."
        ) from None
    return mlflow.pyfunc.load_model(str(folder))  # type: ignore[no-any-return]
