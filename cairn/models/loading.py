"""Loading a model package from a folder, whoever wrote it (Cairn or the mlflow client): read its
``MLmodel``, load its flavor, and check every ``predict`` input against its signature.

Finding the package (``runs:/``, ``models:/`` or a folder) and copying it out of a store is the
SDK's part: ``cairn.client.models.load_model``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .enforcement import ExtraColumns, enforce_schema
from .flavors import Predictor, load_flavor
from .mlmodel import MLModel, read_mlmodel
from .signature import ModelSignature

if TYPE_CHECKING:
    from cairn.entities import ModelVersion


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


def load_package(folder: Path, model_version: ModelVersion | None = None) -> LoadedModel:
    """The package in ``folder`` (``MLmodel`` + files), ready to predict; ``model_version`` when it
    was copied from the registry. ``InvalidParameter`` for a flavor that cannot be loaded."""
    mlmodel = read_mlmodel(folder)
    return LoadedModel(folder, mlmodel, load_flavor(mlmodel, folder), model_version)
