"""MLflow's scoring protocol: the four ``/invocations`` request shapes and the response rows.

    {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
    {"dataframe_records": [{"col": value, ...}, ...]}
    {"instances": [...]}  or  {"inputs": [...] | {"col": [...]}}   (TF-serving style)
"""

from __future__ import annotations

import functools
from typing import Any

from cairn.errors import BadRequest

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_FAST_ROWS = 1000
_INT64 = 2**63
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
            fast = _numeric_frame(value["data"], value.get("columns"))
            return fast if fast is not None else pd.DataFrame(value["data"], columns=value.get("columns"))
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


def _numeric_frame(rows: list[Any], columns: Any) -> Any:
    """The frame pandas would build for ``rows`` when every column holds only ints or only
    floats, built as one float block (int columns replaced after) with a cached column index:
    about 0.03 ms for a one-row request where pandas' row inference takes 0.3 ms. None for
    anything else, which takes pandas' path."""
    import numpy as np
    import pandas as pd

    if not isinstance(columns, list) or not rows or len(rows) > _FAST_ROWS or not columns:
        return None
    width = len(columns)
    if not all(isinstance(row, list) and len(row) == width for row in rows):
        return None
    int_columns = []
    for i in range(width):
        kinds = {type(row[i]) for row in rows}
        if kinds == {int}:
            if not all(-_INT64 <= row[i] < _INT64 for row in rows):
                return None
            int_columns.append(i)
        elif kinds != {float}:
            return None
    try:
        index = _column_index(tuple(columns))
    except TypeError:  # unhashable column names
        return None
    if index is None:
        return None
    frame = pd.DataFrame(np.array(rows, dtype=np.float64), columns=index, copy=False)
    for i in int_columns:
        frame[columns[i]] = np.array([row[i] for row in rows], dtype=np.int64)
    return frame


@functools.lru_cache(maxsize=64)
def _column_index(columns: tuple[Any, ...]) -> Any:
    import pandas as pd

    if not all(isinstance(name, str) for name in columns) or len(set(columns)) != len(columns):
        return None
    return pd.Index(columns)


def payload_rows(payload: dict[str, Any]) -> list[Any]:
    """The input rows of a request ``parse_scoring_request`` accepted, as JSON values (one
    object per row where columns are named): what the prediction log records as features.
    Plain Python, no pandas: it runs for every request."""
    fmt = next(key for key in FORMATS if key in payload)
    value = payload[fmt]
    if fmt == "dataframe_split":
        columns = value.get("columns")
        if columns is None:
            return list(value["data"])
        return [dict(zip(columns, row)) for row in value["data"]]
    if isinstance(value, dict):
        if value and all(isinstance(v, list) for v in value.values()):
            names = list(value)
            return [dict(zip(names, row)) for row in zip(*value.values())]
        return [value]
    return list(value)


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
