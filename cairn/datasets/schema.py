"""Feature schemas: column names and types, in MLflow's ``mlflow_colspec`` form plus exact dtypes.

The stored schema is ``{"mlflow_colspec": [{"type": "double", "name": "age", "required": true}],
"dtypes": {"age": "float64"}}``: the first key is what MLflow's client and UI write and read, the
second keeps the pandas dtype so a change from int32 to int64 is visible. Value ranges live in the
profile (min, max, percentiles per feature).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COLSPEC = "mlflow_colspec"


def schema_of(frame: Any) -> dict[str, Any]:
    """The schema of a DataFrame; a column is ``required`` when it holds no null."""
    colspec = []
    dtypes = {}
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        name = str(frame.columns[i])
        colspec.append({"type": mlflow_type(series), "name": name, "required": not bool(series.isna().any())})
        dtypes[name] = str(series.dtype)
    return {COLSPEC: colspec, "dtypes": dtypes}


def mlflow_type(series: Any) -> str:
    """MLflow's data type name for a pandas column (``double``, ``long``, ``string``...)."""
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer" if dtype.itemsize <= 4 else "long"
    if pd.api.types.is_float_dtype(dtype):
        return "float" if dtype.itemsize <= 4 else "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype):
        return "binary" if pd.api.types.infer_dtype(series, skipna=True) == "bytes" else "string"
    return "string"


def column_types(schema: dict[str, Any] | None) -> dict[str, str]:
    """Column name -> type for a stored schema (Cairn's or MLflow's); exact dtypes when recorded."""
    if not schema:
        return {}
    dtypes = schema.get("dtypes")
    if isinstance(dtypes, dict) and dtypes:
        return {str(k): str(v) for k, v in dtypes.items()}
    found: dict[str, str] = {}
    for spec in schema.get(COLSPEC) or []:
        if isinstance(spec, dict) and "name" in spec:
            found[str(spec["name"])] = str(spec.get("type", ""))
    return found


@dataclass(frozen=True)
class SchemaChange:
    """How the columns of ``current`` differ from ``baseline``."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    type_changed: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_changed(self) -> bool:
        return bool(self.added or self.removed or self.type_changed)

    def to_dict(self) -> dict[str, Any]:
        return {"changed": self.is_changed, "added": self.added, "removed": self.removed,
                "type_changed": self.type_changed}


def compare_schemas(baseline: dict[str, Any] | None, current: dict[str, Any] | None) -> SchemaChange:
    """Columns added, removed, and whose type changed, in the current schema's column order."""
    before, after = column_types(baseline), column_types(current)
    return SchemaChange(
        added=[c for c in after if c not in before],
        removed=[c for c in before if c not in after],
        type_changed=[{"name": c, "from": before[c], "to": after[c]}
                      for c in after if c in before and before[c] != after[c]],
    )
