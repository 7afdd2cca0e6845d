"""The SDK's model calls: log a model package to a run (and register it) in one call, and load a
package by URI through a ``Client``. Writing and reading the package itself is ``cairn.models``.

    runs:/<run_id>/<path>     a model logged to a run
    models:/<name>/<version>  a registered version; also models:/<name>@<alias>,
                              models:/<name>/<Stage> and models:/<name>
    a local folder            a package on disk (file:// accepted)

Files are copied into a private temporary folder (0o700) and read from there.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.entities import ModelVersion
from cairn.errors import CairnError, InvalidParameter, NotFound
from cairn.models.loading import LoadedModel, load_package
from cairn.models.package import parse_pins, save_model
from cairn.models.signature import ModelSignature
from cairn.registry.retention import refuse_collected
from cairn.registry.sources import refuse_external

from .client import Client
from .users import default_user

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
FILE_SCHEME = "file://"
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


def load_model(uri: str | Path, client: Client | None = None, dst_path: str | Path | None = None) -> LoadedModel:
    """Load the model ``uri`` names (see the module docstring for the forms).

    ``NotFound`` when the run, version or files are missing; ``InvalidParameter`` for a URI that
    cannot be read or a flavor that cannot be loaded.

    >>> model = cairn.load_model("models:/churn@champion")
    >>> model.predict(frame)
    """
    text = str(uri)
    if text.startswith(RUNS_SCHEME) or text.startswith(MODELS_SCHEME):
        folder, version = download_model(text, client if client is not None else Client(), dst_path)
        return load_package(folder, version)
    folder = Path(text[len(FILE_SCHEME):] if text.startswith(FILE_SCHEME) else text)
    if not folder.is_dir():
        raise NotFound(
            f"No model folder at '{text}'. Use runs:/<run_id>/<path>, models:/<name>/<version>, "
            "models:/<name>@<alias>, models:/<name>/<stage> or a local folder."
        )
    return load_package(folder)


def download_model(uri: str, client: Client, dst_path: str | Path | None = None) -> tuple[Path, ModelVersion | None]:
    """Copy the package ``uri`` names into ``dst_path`` (else a new private temp folder); the
    registered version too when ``uri`` is a ``models:/`` URI."""
    dest = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="cairn-model-"))
    dest.mkdir(parents=True, exist_ok=True)
    if uri.startswith(RUNS_SCHEME):
        run_id, _, path = uri[len(RUNS_SCHEME):].lstrip("/").partition("/")
        if not run_id or not path.strip("/"):
            raise InvalidParameter(f"'{uri}' names no model path; use runs:/<run_id>/<path>.")
        folder = client.download_artifacts(run_id, path.strip("/"), dest)
        return folder, None
    version = client.resolve_model_version(uri)
    refuse_collected(version, "load")
    folder = client.backend.download_artifacts(refuse_external(version, "load"), "", dest)
    return folder, version


def _captured_pins(client: Client, run_id: str, scratch: Path) -> dict[str, str]:
    try:
        file = client.download_artifacts(run_id, CAPTURED_REQUIREMENTS, scratch / "captured")
    except CairnError:  # capture was off for this run: pin what is installed here instead
        return {}
    return parse_pins(file.read_text()) if file.is_file() else {}
