"""Tables for ``log_table``: a DataFrame or a dict of columns, stored in MLflow's table layout.

MLflow's ``log_table`` writes ``pandas.DataFrame.to_json(orient="split", index=False)``: one
JSON document ``{"columns": [...], "data": [[row], ...]}`` — the column names once, then the
values — and lists the file in the run tag ``mlflow.loggedArtifacts`` as
``{"path": ..., "type": "table"}``. Cairn writes the same, so ``mlflow.load_table`` reads a Cairn
table, the MLflow UI shows it, and Cairn lists tables either client logged. Logging again to the
same file appends rows, as MLflow does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from cairn.errors import InvalidParameter

TABLES_DIR = "tables"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
TABLE_TYPE = "table"
# MLflow refuses these in a table's file name (they break its tag's JSON in some readers).
_FORBIDDEN = set("\"',:[]{}")


def table_path(key: str) -> str:
    """``key`` names the file: ``eval.json`` or ``dir/eval.json`` as is (MLflow's
    ``artifact_file``); a bare key ``eval`` is stored as ``tables/eval.json``."""
    if not isinstance(key, str) or not key.strip("/"):
        raise InvalidParameter("log_table needs a key such as 'predictions' or a file name such as 'eval.json'.")
    bad = sorted(_FORBIDDEN.intersection(key))
    if bad:
        raise InvalidParameter(f"Table key {key!r} contains {' '.join(bad)}; use letters, digits, '_', '-', '.', '/'.")
    if key.endswith(".parquet"):
        raise InvalidParameter("Cairn stores tables as JSON; name the file '.json' or give a bare key.")
    return key if key.endswith(".json") else f"{TABLES_DIR}/{key.strip('/')}.json"


def to_split(data: Any) -> dict[str, Any]:
    """``{"columns": [...], "data": [[...], ...]}`` for a DataFrame or a dict of columns (or of
    scalars: one row), as pandas' ``orient="split"`` without the index."""
    if hasattr(data, "to_json") and hasattr(data, "columns"):
        return json.loads(data.to_json(orient="split", index=False, date_format="iso"))
    if not isinstance(data, Mapping):
        raise InvalidParameter(f"log_table takes a pandas DataFrame or a dict of columns, not {type(data).__name__}.")
    columns = [str(c) for c in data]
    values = list(data.values())
    if all(_is_column(v) for v in values):
        lengths = {len(v) for v in values}
        if len(lengths) > 1:
            raise InvalidParameter(f"Table columns differ in length ({sorted(lengths)}); give each the same number of rows.")
        rows = [list(r) for r in zip(*values)] if values else []
    elif any(_is_column(v) for v in values):
        raise InvalidParameter("A table dict holds either columns (lists) or one row (scalars), not both.")
    else:
        rows = [values]
    return {"columns": columns, "data": [[_plain(v) for v in row] for row in rows]}


def append(existing: Mapping[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``new``'s rows after ``existing``'s, columns aligned by name (missing cells are null)."""
    if not existing:
        return new
    columns = list(existing.get("columns", []))
    columns += [c for c in new["columns"] if c not in columns]

    def aligned(table: Mapping[str, Any]) -> list[list[Any]]:
        index = {c: i for i, c in enumerate(table.get("columns", []))}
        return [[row[index[c]] if c in index else None for c in columns] for row in table.get("data", [])]

    return {"columns": columns, "data": aligned(existing) + aligned(new)}


def encode(table: Mapping[str, Any]) -> bytes:
    return json.dumps(table, allow_nan=False, default=str).encode()


def logged_tables(tags: Mapping[str, str]) -> list[str]:
    """The table files the ``mlflow.loggedArtifacts`` tag lists (either client writes it)."""
    try:
        entries = json.loads(tags.get(LOGGED_ARTIFACTS_TAG, "[]"))
    except ValueError:
        return []
    if not isinstance(entries, list):
        return []
    return [e["path"] for e in entries
            if isinstance(e, dict) and e.get("type") == TABLE_TYPE and isinstance(e.get("path"), str)]


def with_table(tags: Mapping[str, str], path: str) -> str | None:
    """The tag's new value listing ``path``, or None when it lists it already."""
    try:
        entries = json.loads(tags.get(LOGGED_ARTIFACTS_TAG, "[]"))
    except ValueError:
        entries = []
    entries = entries if isinstance(entries, list) else []
    entry = {"path": path, "type": TABLE_TYPE}
    if entry in entries:
        return None
    return json.dumps([*entries, entry])


def _is_column(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and getattr(value, "ndim", 0) == 1)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
