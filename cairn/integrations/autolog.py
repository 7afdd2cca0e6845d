"""``cairn.autolog()``: turn on autolog for every supported framework installed here.

A framework is patched when the program imports it (now, if it already has), so this call
imports none of them.
"""

from __future__ import annotations

import importlib
import importlib.util

# The framework each integration records, by the name it is imported as; in the order they run.
FRAMEWORKS = {
    "sklearn": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "lightning": "lightning",
    "transformers": "transformers",
}


def autolog(disable: bool = False, log_models: bool = True, log_datasets: bool = True) -> list[str]:
    """Record the training of scikit-learn, XGBoost, LightGBM, PyTorch Lightning and Hugging Face
    Transformers (those installed) into the active run, or a run started for each training;
    returns the integrations turned on (or off, with ``disable=True``)."""
    turned = []
    for integration, package in FRAMEWORKS.items():
        if importlib.util.find_spec(package) is None:
            continue
        module = importlib.import_module(f"cairn.integrations.{integration}")
        module.autolog(disable=disable, log_models=log_models, log_datasets=log_datasets)
        turned.append(integration)
    return turned
