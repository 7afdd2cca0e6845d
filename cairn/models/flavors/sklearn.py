"""scikit-learn estimators, in the layout ``mlflow.sklearn`` writes and reads.

Cairn writes cloudpickle (the format ``mlflow.sklearn`` loads without skops installed) and reads
pickle, cloudpickle and skops, whichever the ``sklearn`` flavor block names.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from cairn.errors import InvalidParameter

from ..mlmodel import PYFUNC_FLAVOR
from .pickled import model_file, warn_runs_code

FLAVOR = "sklearn"
LOADER_MODULE = "mlflow.sklearn"
MODEL_FILE = "model.pkl"
_FORMATS = ("pickle", "cloudpickle", "skops")


def is_sklearn_model(model: Any) -> bool:
    return any(cls.__module__.startswith("sklearn.") for cls in type(model).__mro__)


def save(model: Any, folder: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    import platform

    import cloudpickle
    import sklearn

    with open(folder / MODEL_FILE, "wb") as out:
        cloudpickle.dump(model, out)
    flavors = {
        PYFUNC_FLAVOR: {"loader_module": LOADER_MODULE, "model_path": MODEL_FILE, "predict_fn": "predict",
                        "python_version": platform.python_version()},
        FLAVOR: {"code": None, "pickled_model": MODEL_FILE, "serialization_format": "cloudpickle",
                 "sklearn_version": sklearn.__version__},
    }
    return flavors, ["scikit-learn", "cloudpickle"]


def load(folder: Path, conf: dict[str, Any], metadata: dict[str, Any]) -> Any:
    path = model_file(folder, conf.get("pickled_model", MODEL_FILE))
    file_name = path.name
    fmt = conf.get("serialization_format", "pickle")
    if fmt not in _FORMATS:
        raise InvalidParameter(f"Unknown sklearn serialization format '{fmt}'; expected one of {', '.join(_FORMATS)}.")
    warn_runs_code(file_name, metadata)
    if fmt == "skops":
        try:
            import skops.io
        except ImportError:
            raise InvalidParameter("This sklearn model is stored with skops; install skops to load it.") from None
        return skops.io.load(path, trusted=conf.get("skops_trusted_types"))
    with open(path, "rb") as data:
        if fmt == "cloudpickle":
            import cloudpickle

            return cloudpickle.load(data)
        return pickle.load(data)
