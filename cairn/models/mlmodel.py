"""The ``MLmodel`` descriptor: YAML naming the flavors a model can be loaded as, its signature
and its input example, in the layout ``mlflow.models.Model`` reads and writes.

PyYAML parses and writes it (the mlflow client needs it too); it is imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.errors import InvalidParameter, NotFound
from cairn.registry.model_files import MAX_MLMODEL_BYTES, MLMODEL_FILE

from .signature import ModelSignature

PYFUNC_FLAVOR = "python_function"


@dataclass
class MLModel:
    """The parsed descriptor; ``fields`` keeps every key, including ones Cairn does not use."""

    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        flavors = self.fields.get("flavors")
        return flavors if isinstance(flavors, dict) else {}

    @property
    def signature(self) -> ModelSignature | None:
        block = self.fields.get("signature")
        return ModelSignature.from_dict(block) if block else None

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.fields.get("metadata")
        return meta if isinstance(meta, dict) else {}

    def write(self, folder: Path) -> None:
        yaml = _yaml()
        (folder / MLMODEL_FILE).write_text(yaml.safe_dump(self.fields, default_flow_style=False))


def read_mlmodel(folder: Path) -> MLModel:
    """The ``MLmodel`` in ``folder``; ``NotFound`` when there is none, ``InvalidParameter`` when
    it is not a YAML mapping."""
    path = folder / MLMODEL_FILE
    if not path.is_file():
        raise NotFound(f"No {MLMODEL_FILE} file in the model folder '{folder.name}'; is this an MLflow model?")
    if path.stat().st_size > MAX_MLMODEL_BYTES:
        raise InvalidParameter(f"The {MLMODEL_FILE} file is larger than {MAX_MLMODEL_BYTES} bytes.")
    yaml = _yaml()
    try:
        fields = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        raise InvalidParameter(f"The {MLMODEL_FILE} file is not valid YAML; re-log the model.") from None
    if not isinstance(fields, dict):
        raise InvalidParameter(f"The {MLMODEL_FILE} file must be a YAML mapping; re-log the model.")
    return MLModel(fields)


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise InvalidParameter("Reading and writing model packages needs PyYAML; install it and retry.") from None
    return yaml
