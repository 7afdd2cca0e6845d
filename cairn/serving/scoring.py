"""MLflow's scoring protocol: the four ``/invocations`` request shapes and the response rows.

    {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
    {"dataframe_records": [{"col": value, ...}, ...]}
    {"instances": [...]}  or  {"inputs": [...] | {"col": [...]}}   (TF-serving style)
"""

from __future__ import annotations

from typing import Any

from cairn.errors import BadRequest

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_HINT = "Send a JSON object with one of: " + ", ".join(FORMATS) + "."


def parse_scoring_request(payload: Any) -> Any:
    """The model input in ``payload``: a DataFrame for named columns, else the list of rows.
    ``BadRequest`` when the shape is none of MLflow's formats."""
    import pandas as pd

    if not isinstance(payload, dict):
        raise BadRequest(f"The request body must be a JSON object. {_HINT}")
    found = [key for key in FORMATS if key in payload]
    if len(found) != 1:
        raise BadRequest(("The request names several input formats. " if found else "") + _HINT)
    fmt, value = found[0], payload[found[0]]
    try:
        if fmt == "dataframe_split":
            if not isinstance(value, dict) or not isinstance(value.get("data"), list):
                raise BadRequest('dataframe_split needs {"columns": [...], "data": [[...], ...]}.')
            return pd.DataFrame(value["data"], columns=value.get("columns"))
        if fmt == "dataframe_records":
            if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
                raise BadRequest("dataframe_records needs a list of objects, one per row.")
            return pd.DataFrame(value)
        if isinstance(value, dict):
            if all(isinstance(v, list) for v in value.values()):
                return pd.DataFrame(value)
            return pd.DataFrame([value])
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            return pd.DataFrame(value)
        if not isinstance(value, list):
            raise BadRequest(f"{fmt} needs a list of rows or an object of columns.")
    except (ValueError, TypeError):
        raise BadRequest(f"The {fmt} rows do not form a table: every row needs the same columns.") from None
    widths = {len(row) if isinstance(row, list) else -1 for row in value}
    if len(widths) > 1:
        raise BadRequest(f"The {fmt} rows do not all have the same number of values.")
    # Rows stay a list: the signature decides whether they become named columns (each with its
    # own dtype, so [[1.5, 2]] keeps an int column) or one tensor.
    return value


def prediction_rows(predictions: Any) -> list[Any]:
    """The predictions as JSON-ready rows: one per input row."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return [plain(row) for row in predictions.to_dict(orient="records")]
    if isinstance(predictions, (pd.Series, np.ndarray)):
        return [plain(value) for value in predictions.tolist()]
    if isinstance(predictions, dict):
        return [plain(predictions)]
    if isinstance(predictions, (list, tuple)):
        return [plain(value) for value in predictions]
    return [plain(predictions)]


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays turned into JSON-ready Python values."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
