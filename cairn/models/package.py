"""Writing a model package: the folder layout the mlflow client writes and reads.

    MLmodel                     flavors, signature, input example info, metadata
    model.pkl                   the serialized model
    requirements.txt            the packages the model needs, pinned
    conda.yaml, python_env.yaml the environment as mlflow describes it
    input_example.json          an example input (pandas "split" orient, or tf-serving "inputs")
    serving_input_example.json  the same example as an /invocations request body
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cairn.errors import InvalidParameter

from .flavors import save_flavor
from .flavors.pickled import LOGGED_BY_KEY
from .mlmodel import MLModel
from .signature import ModelSignature, infer_signature

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"
REQUIREMENTS_FILE = "requirements.txt"
_BASE_PACKAGES = ("numpy", "pandas")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def save_model(
    model: Any,
    path: str | Path,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | str | Path | None = None,
    pinned: Mapping[str, str] | None = None,
    logged_by: str | None = None,
) -> MLModel:
    """Write ``model`` as a package into the empty or new folder ``path``.

    Without a ``signature``, one is inferred from ``input_example`` (and the model's prediction
    on it). ``pip_requirements`` (a list or a requirements file) replaces the inferred list;
    ``pinned`` maps package names to the versions to pin (the run's captured environment),
    falling back to what is installed here.
    """
    folder = Path(path)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidParameter(f"'{folder}' is not empty; save a model into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    flavors, packages = save_flavor(model, folder)
    fields: dict[str, Any] = {"flavors": flavors}
    example = _example_frame(input_example)
    if signature is None and example is not None:
        signature = infer_signature(example, _predict_quietly(model, flavors, example))
    if example is not None:
        fields["saved_input_example_info"] = _write_example(folder, example)
    requirements = _requirements(pip_requirements, packages, pinned or {})
    _write_environment(folder, requirements)
    flavors["python_function"]["env"] = {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    fields.update({
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "signature": signature.to_dict() if signature is not None else None,
    })
    if logged_by:
        fields["metadata"] = {LOGGED_BY_KEY: logged_by}
    mlmodel = MLModel(fields)
    mlmodel.write(folder)
    return mlmodel


def _example_frame(example: Any) -> Any:
    if example is None:
        return None
    import numpy as np
    import pandas as pd

    if isinstance(example, (pd.DataFrame, np.ndarray)):
        return example
    if isinstance(example, pd.Series):
        return example.to_frame()
    if isinstance(example, dict):
        scalar = not all(isinstance(v, (list, tuple, np.ndarray)) for v in example.values())
        return pd.DataFrame([example] if scalar else example)
    if isinstance(example, list) and example and all(isinstance(r, dict) for r in example):
        return pd.DataFrame(example)
    if isinstance(example, list):
        return np.asarray(example)
    raise InvalidParameter(f"An input example must be a DataFrame, array, dict or list, not {type(example).__name__}.")


def _predict_quietly(model: Any, flavors: dict[str, Any], example: Any) -> Any:
    kind = flavors.get("python_function", {}).get("kind")
    try:
        return model(example) if kind == "callable" else model.predict(example)
    except Exception:  # an example the model rejects still documents the input; skip the outputs
        return None


def _write_example(folder: Path, example: Any) -> dict[str, Any]:
    import pandas as pd

    if isinstance(example, pd.DataFrame):
        split = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        (folder / INPUT_EXAMPLE_FILE).write_text(json.dumps(split))
        (folder / SERVING_EXAMPLE_FILE).write_text(json.dumps({"dataframe_split": split}, indent=2))
        return {"artifact_path": INPUT_EXAMPLE_FILE, "pandas_orient": "split",
                "serving_input_path": SERVING_EXAMPLE_FILE, "type": "dataframe"}
    body = {"inputs": example.tolist()}
    (folder / INPUT_EXAMPLE_FILE).write_text(json.dumps(body))
    (folder / SERVING_EXAMPLE_FILE).write_text(json.dumps(body, indent=2))
    return {"artifact_path": INPUT_EXAMPLE_FILE, "format": "tf-serving",
            "serving_input_path": SERVING_EXAMPLE_FILE, "type": "ndarray"}


def _requirements(given: Sequence[str] | str | Path | None, packages: list[str],
                  pinned: Mapping[str, str]) -> list[str]:
    if isinstance(given, (str, Path)):
        given = [line for line in Path(given).read_text().splitlines() if line.strip() and not line.startswith("#")]
    if given is not None:
        return [str(line).strip() for line in given]
    lowered = {_normal(name): version for name, version in pinned.items()}
    lines = []
    for name in dict.fromkeys([*packages, *_BASE_PACKAGES]):
        version = lowered.get(_normal(name)) or _installed_version(name)
        lines.append(f"{name}=={version}" if version else name)
    return lines


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a captured requirements file as a mapping."""
    pins = {}
    for line in text.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and _NAME.match(name):
            pins[name.strip()] = version.strip()
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _write_environment(folder: Path, requirements: list[str]) -> None:
    import yaml

    python = platform.python_version()
    (folder / REQUIREMENTS_FILE).write_text("".join(f"{line}\n" for line in requirements))
    conda = {"channels": ["conda-forge"],
             "dependencies": [f"python={python}", "pip", {"pip": list(requirements)}], "name": "mlflow-env"}
    (folder / "conda.yaml").write_text(yaml.safe_dump(conda, default_flow_style=False))
    python_env = {"python": python, "build_dependencies": ["pip", "setuptools", "wheel"],
                  "dependencies": [f"-r {REQUIREMENTS_FILE}"]}
    (folder / "python_env.yaml").write_text(yaml.safe_dump(python_env, default_flow_style=False))
