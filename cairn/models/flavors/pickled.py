"""Any Python object with ``predict``, or a plain function of the input, stored with cloudpickle.

The package names this module as its ``python_function`` loader, so ``mlflow.pyfunc.load_model``
loads it too (where Cairn is installed) through ``_load_pyfunc``. Unpickling runs code from the
file: loading says so, and names who logged the model.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path
from typing import Any

from cairn.errors import InvalidParameter

from ..mlmodel import PYFUNC_FLAVOR

LOADER_MODULE = "cairn.models.flavors.pickled"
OBJECT_FLAVOR = "cloudpickle"
CALLABLE_FLAVOR = "callable"
MODEL_FILE = "model.pkl"
LOGGED_BY_KEY = "cairn.logged_by"
# An object may name the packages its predict needs (``torch``, ``xgboost``...) in this class
# attribute; they join the package's pinned requirements.
PACKAGES_ATTRIBUTE = "cairn_packages"

_log = logging.getLogger("cairn.models")


def save(model: Any, folder: Path, flavor: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    cloudpickle = _cloudpickle()
    with open(folder / MODEL_FILE, "wb") as out:
        cloudpickle.dump(model, out)
    flavors = {
        PYFUNC_FLAVOR: {"loader_module": LOADER_MODULE, "model_path": MODEL_FILE, "kind": flavor,
                        "python_version": platform.python_version()},
        flavor: {"pickled_model": MODEL_FILE, "serialization_format": "cloudpickle",
                 "cloudpickle_version": cloudpickle.__version__},
    }
    return flavors, ["cairn-tracker", "cloudpickle", *getattr(model, PACKAGES_ATTRIBUTE, ())]


def load_from_folder(folder: Path, pyfunc_conf: dict[str, Any], metadata: dict[str, Any]) -> Any:
    path = model_file(folder, pyfunc_conf.get("model_path", MODEL_FILE))
    warn_runs_code(path.name, metadata)
    return _Wrapped(_unpickle(path), pyfunc_conf.get("kind", OBJECT_FLAVOR))


def model_file(folder: Path, name: Any) -> Path:
    """The file ``name`` directly inside the package folder; a name that climbs out (``..``,
    a separator, an absolute path) or is missing is refused before anything is unpickled."""
    text = str(name)
    if not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text:
        raise InvalidParameter(f"The model file name '{text[:100]}' in MLmodel is not a plain file name.")
    path = folder / text
    if not path.is_file():
        raise InvalidParameter(f"The model package has no '{text[:100]}' file; re-log the model.")
    return path


def warn_runs_code(file_name: str, metadata: dict[str, Any]) -> None:
    """Say, in the log, that loading a pickled model runs code from it, and who logged it."""
    _log.warning("Loading %s unpickles it, which runs code from the file; logged by %s. Load only models you trust.",
                 file_name, metadata.get(LOGGED_BY_KEY, "an unknown user"))


def _load_pyfunc(path: str) -> Any:
    """The entry point ``mlflow.pyfunc.load_model`` calls with the ``model_path`` file."""
    import yaml

    target = Path(path)
    folder = target.parent if target.is_file() else target
    fields = yaml.safe_load((folder / "MLmodel").read_text())
    conf = fields.get("flavors", {}).get(PYFUNC_FLAVOR, {})
    file = target if target.is_file() else model_file(folder, conf.get("model_path", MODEL_FILE))
    return _Wrapped(_unpickle(file), conf.get("kind", OBJECT_FLAVOR))


class _Wrapped:
    """One ``predict(data, params=None)`` for both kinds, as ``mlflow.pyfunc`` calls it."""

    def __init__(self, model: Any, kind: str) -> None:
        self.model = model
        self.kind = kind

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if self.kind == CALLABLE_FLAVOR:
            return self.model(data)
        return self.model.predict(data)


def _unpickle(path: Path) -> Any:
    cloudpickle = _cloudpickle()
    with open(path, "rb") as data:
        return cloudpickle.load(data)


def _cloudpickle() -> Any:
    try:
        import cloudpickle
    except ImportError:
        raise InvalidParameter("Packaging Python objects needs cloudpickle; install it and retry.") from None
    return cloudpickle
