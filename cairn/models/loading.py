"""Loading a model package by URI, whoever wrote it (Cairn or the mlflow client).

    runs:/<run_id>/<path>     a model logged to a run
    models:/<name>/<version>  a registered version; also models:/<name>@<alias>,
                              models:/<name>/<Stage> and models:/<name>
    a local folder            a package on disk (file:// accepted)

Files are copied into a private temporary folder (0o700) and read from there.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidParameter, NotFound
from cairn.registry.retention import refuse_collected
from cairn.registry.sources import refuse_external

from .enforcement import ExtraColumns, enforce_schema
from .flavors import Predictor, load_flavor
from .mlmodel import MLModel, read_mlmodel
from .signature import ModelSignature

if TYPE_CHECKING:
    from cairn.client.client import Client
    from cairn.entities import ModelVersion

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
FILE_SCHEME = "file://"


@dataclass
class LoadedModel:
    """A loaded package: ``predict`` checks the input against the signature, then predicts.

    ``model_version`` is set when the model was loaded from the registry.
    """

    path: Path
    mlmodel: MLModel
    predictor: Predictor
    model_version: ModelVersion | None = None

    @property
    def signature(self) -> ModelSignature | None:
        return self.mlmodel.signature

    @property
    def metadata(self) -> dict[str, Any]:
        return self.mlmodel.fields

    def predict(self, data: Any, extra_columns: ExtraColumns = "reject") -> Any:
        """Predictions for ``data``; ``InvalidParameter`` names each column that does not match
        the signature (``extra_columns="drop"`` ignores columns the signature lacks)."""
        signature = self.signature
        if signature is not None:
            data = enforce_schema(signature.inputs, data, extra_columns)
        elif isinstance(data, list) and not all(isinstance(row, dict) for row in data):
            import numpy as np

            data = np.asarray(data)
        return self.predictor.predict(data)


def load_model(uri: str | Path, client: Client | None = None, dst_path: str | Path | None = None) -> LoadedModel:
    """Load the model ``uri`` names (see the module docstring for the forms).

    ``NotFound`` when the run, version or files are missing; ``InvalidParameter`` for a URI that
    cannot be read or a flavor that cannot be loaded.

    >>> model = cairn.load_model("models:/churn@champion")
    >>> model.predict(frame)
    """
    text = str(uri)
    if text.startswith(RUNS_SCHEME) or text.startswith(MODELS_SCHEME):
        client = client if client is not None else _default_client()
        folder, version = download_model(text, client, dst_path)
    else:
        folder = Path(text[len(FILE_SCHEME):] if text.startswith(FILE_SCHEME) else text)
        version = None
        if not folder.is_dir():
            raise NotFound(
                f"No model folder at '{text}'. Use runs:/<run_id>/<path>, models:/<name>/<version>, "
                "models:/<name>@<alias>, models:/<name>/<stage> or a local folder."
            )
    mlmodel = read_mlmodel(folder)
    return LoadedModel(folder, mlmodel, load_flavor(mlmodel, folder), version)


def download_model(uri: str, client: Client, dst_path: str | Path | None = None) -> tuple[Path, ModelVersion | None]:
    """Copy the package ``uri`` names into ``dst_path`` (else a new private temp folder)."""
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


def _default_client() -> Client:
    from cairn.client.client import Client

    return Client()
