"""What tests hand mlflow's ``log_model`` / ``save_model`` for a scikit-learn model when they do not
test mlflow's requirement inference.

Left to infer them, mlflow loads the model in a fresh interpreter and records what it imported:
10-20 s per call on the reference machine, most of some tests' time. These are the packages that
inference records for such a model, pinned to the installed versions as it pins them. The tests of
requirement inference (``tests/serving/test_env_manager.py``) still let mlflow infer.
"""

from __future__ import annotations

from importlib.metadata import version

SKLEARN_REQUIREMENTS = [
    f"{name}=={version(name)}" for name in ("scikit-learn", "skops", "cloudpickle", "numpy", "scipy")
]
