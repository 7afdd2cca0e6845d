"""Model signatures: what a model takes and returns, in MLflow's ``signature`` format.

A signature holds an input schema, an optional output schema and (always ``null`` here) params.
A schema is either column-based (``ColSpec``: a name, an MLflow data type, ``required``) or
tensor-based (``TensorSpec``: a NumPy dtype and a shape with ``-1`` for any size). In ``MLmodel``
each schema is a JSON string, exactly as ``mlflow.models.ModelSignature.to_dict`` writes it, so
either tool reads what the other wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import InvalidParameter

# MLflow's column data types and the NumPy dtype each stands for.
DATA_TYPES: dict[str, str] = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "object",
    "binary": "object",
    "datetime": "datetime64[ns]",
}
_TYPE_OF_DTYPE = {
    "bool": "boolean", "int8": "integer", "int16": "integer", "int32": "integer", "int64": "long",
    "uint8": "integer", "uint16": "integer", "uint32": "long",
    "float16": "float", "float32": "float", "float64": "double",
}


@dataclass(frozen=True)
class ColSpec:
    """One named (or, for outputs, unnamed) column. ``type`` is an MLflow data type name, or the
    raw JSON of a nested type (array, object, map) Cairn carries but does not check."""

    type: str | dict[str, Any]
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.type) if isinstance(self.type, dict) else {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: a NumPy dtype name and a shape, ``-1`` where any size is accepted."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "tensor", "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)}}
        if self.name is not None:
            out["name"] = self.name
        return out


Spec = ColSpec | TensorSpec


@dataclass(frozen=True)
class Schema:
    """An ordered list of specs, all columns or all tensors."""

    inputs: tuple[Spec, ...]

    @property
    def is_tensor_based(self) -> bool:
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    @property
    def column_names(self) -> list[str]:
        return [s.name for s in self.inputs if s.name is not None]

    def to_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.inputs])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            items = json.loads(text)
        except (TypeError, ValueError):
            raise InvalidParameter("The model's signature is not valid JSON; re-log the model.") from None
        if not isinstance(items, list):
            raise InvalidParameter("A signature schema must be a JSON list of column or tensor specs.")
        return cls(tuple(_spec_from_dict(item) for item in items))


@dataclass(frozen=True)
class ModelSignature:
    """What a model accepts (``inputs``) and returns (``outputs``)."""

    inputs: Schema
    outputs: Schema | None = None
    params: Any = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The ``signature`` block of ``MLmodel``: each schema as a JSON string."""
        return {
            "inputs": self.inputs.to_json(),
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": None,
        }

    @classmethod
    def from_dict(cls, block: dict[str, Any]) -> ModelSignature:
        if not isinstance(block, dict) or not block.get("inputs"):
            raise InvalidParameter("The model's signature has no inputs; re-log the model with one.")
        outputs = block.get("outputs")
        return cls(Schema.from_json(block["inputs"]), Schema.from_json(outputs) if outputs else None,
                   block.get("params"))


def infer_signature(model_input: Any, model_output: Any = None) -> ModelSignature:
    """The signature of a pandas DataFrame, Series or NumPy array input (and output).

    A DataFrame gives one column spec per column (name and MLflow type from its dtype); an
    array gives one tensor spec whose first dimension is ``-1`` (any number of rows).
    ``InvalidParameter`` names a column whose dtype has no MLflow type.

    >>> infer_signature(X_train, model.predict(X_train))
    """
    inputs = infer_schema(model_input)
    outputs = infer_schema(model_output) if model_output is not None else None
    return ModelSignature(inputs, outputs)


def infer_schema(data: Any) -> Schema:
    """The schema of one DataFrame, Series, NumPy array, list of records or dict of columns."""
    import numpy as np
    import pandas as pd

    if isinstance(data, dict) and not all(isinstance(v, (list, tuple, np.ndarray)) for v in data.values()):
        data = pd.DataFrame([data])
    elif isinstance(data, dict) or (isinstance(data, list) and data and all(isinstance(r, dict) for r in data)):
        data = pd.DataFrame(data)
    if isinstance(data, pd.Series):
        return Schema((ColSpec(_column_type(data, data.name), None if data.name is None else str(data.name)),))
    if isinstance(data, pd.DataFrame):
        return Schema(tuple(ColSpec(_column_type(data[c], c), str(c)) for c in data.columns))
    if isinstance(data, (list, tuple)):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        if data.dtype.kind not in "biufcmMSU" and data.dtype != object:
            raise InvalidParameter(f"Cannot infer a signature from an array of dtype {data.dtype}.")
        shape = (-1, *data.shape[1:]) if data.ndim else ()
        return Schema((TensorSpec(data.dtype.name, tuple(int(d) for d in shape)),))
    raise InvalidParameter(
        f"Cannot infer a signature from {type(data).__name__}; give a pandas DataFrame or Series, "
        "a NumPy array, a list of records or a dict of columns."
    )


def _column_type(series: Any, name: Any) -> str:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if dtype.kind == "M":
        return "datetime"
    if dtype == object:
        values = series.dropna()
        if all(isinstance(v, str) for v in values):
            return "string"
        if all(isinstance(v, (bytes, bytearray)) for v in values):
            return "binary"
        raise InvalidParameter(f"Column '{name}' holds mixed Python objects; give it one type to infer a signature.")
    found = _TYPE_OF_DTYPE.get(getattr(dtype, "numpy_dtype", dtype).name)
    if found is None:
        raise InvalidParameter(f"Column '{name}' has dtype {dtype}, which has no MLflow type; cast it first.")
    return found


def _spec_from_dict(item: Any) -> Spec:
    if not isinstance(item, dict) or "type" not in item:
        raise InvalidParameter("Each signature spec needs a 'type'; re-log the model.")
    name = item.get("name")
    if item["type"] == "tensor":
        spec = item.get("tensor-spec") or {}
        return TensorSpec(str(spec.get("dtype")), tuple(int(d) for d in spec.get("shape", ())), name)
    kind = item["type"]
    if kind not in DATA_TYPES:
        kind = {k: v for k, v in item.items() if k not in ("name", "required")}
    return ColSpec(kind, name, bool(item.get("required", True)))
