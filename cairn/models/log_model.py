"""Logging a model package to a run, and registering it, in one call."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import CairnError, InvalidParameter

from .package import parse_pins, save_model
from .signature import ModelSignature

if TYPE_CHECKING:
    from cairn.client.client import Client
    from cairn.entities import ModelVersion

CAPTURED_REQUIREMENTS = "environment/requirements.txt"


@dataclass(frozen=True)
class ModelInfo:
    """Where a logged model is: ``model_uri`` (``runs:/<run_id>/<name>``) loads it back."""

    run_id: str
    artifact_path: str
    model_uri: str
    signature: ModelSignature | None
    registered_model_version: ModelVersion | None = None


def log_model(client: Client, run_id: str, model: Any, name: str, signature: ModelSignature | None = None,
              input_example: Any = None, pip_requirements: Sequence[str] | str | None = None,
              registered_model_name: str | None = None) -> ModelInfo:
    """Package ``model`` under the run's artifact path ``name``; register it as the next version
    of ``registered_model_name`` when given. Requirements are pinned from the run's captured
    environment when the run has one."""
    from cairn.client.client import default_user

    path = name.strip("/") if isinstance(name, str) else ""
    if not path:
        raise InvalidParameter("log_model needs a name, the artifact path of the model in the run (e.g. 'model').")
    folder = Path(tempfile.mkdtemp(prefix="cairn-model-"))
    try:
        package = folder / "model"
        mlmodel = save_model(model, package, signature, input_example, pip_requirements,
                             _captured_pins(client, run_id, folder), logged_by=default_user())
        client.log_artifacts(run_id, package, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    uri = f"runs:/{run_id}/{path}"
    version = client.register_model(uri, registered_model_name) if registered_model_name else None
    return ModelInfo(run_id, path, uri, mlmodel.signature, version)


def _captured_pins(client: Client, run_id: str, scratch: Path) -> dict[str, str]:
    try:
        file = client.download_artifacts(run_id, CAPTURED_REQUIREMENTS, scratch / "captured")
    except CairnError:  # capture was off for this run: pin what is installed here instead
        return {}
    return parse_pins(file.read_text()) if file.is_file() else {}
