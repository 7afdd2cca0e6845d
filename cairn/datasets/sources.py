"""Turning what a user logs into a dataset record: digest, source, schema and profile.

Accepted inputs: a pandas DataFrame or Series, a NumPy array, a path to a Parquet or CSV file or a
folder of them, or a reference Cairn does not read (``s3://bucket/key``, ``bigquery://...``, a
table name such as ``warehouse.sales``) with an optional version. Files and folders are digested
by streaming (bounded memory); profiling reads the table into memory.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from cairn.entities import Dataset
from cairn.errors import InvalidParameter

from . import digest as digests

CONTEXT_TAG = "mlflow.data.context"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TABLE_NAME = re.compile(r"^[A-Za-z_][\w$-]*(\.[A-Za-z_][\w$-]*)*$")
_DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".json", ".jsonl", ".feather", ".arrow", ".txt")


def prepare_dataset(data: Any, name: str, source: str | None = None, version: str | None = None,
                    profile: bool = True) -> Dataset:
    """The dataset record for ``data``: digest, source type and JSON source, schema and profile
    (both JSON text, None when the content cannot be read, e.g. for an ``s3://`` reference).

    Raises ``InvalidParameter`` for an unsupported object or a path that does not exist.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter("A dataset needs a name, e.g. log_dataset(df, name='churn-train').")
    frame, digest, source_type, where = _read(data, version)
    if source is not None:
        where = {"uri": str(source), **({"version": version} if version else {})}
        source_type = _source_type(str(source))
    schema_text = profile_text = None
    if frame is not None:
        from .profile import profile_frame
        from .schema import schema_of

        schema_text = _json(schema_of(frame))
        if profile:
            profile_text = _json(profile_frame(frame))
    return Dataset(name=name.strip(), digest=digest, source_type=source_type, source=_json(where),
                   schema=schema_text, profile=profile_text)


def _read(data: Any, version: str | None) -> tuple[Any, str, str, dict[str, Any]]:
    """(frame or None, digest, source type, source) for one input."""
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(data, pd.Series):
            data = data.to_frame()
        if isinstance(data, pd.DataFrame):
            return data, digests.digest_frame(data), "code", {"kind": "DataFrame"}
    if module == "numpy":
        import numpy as np

        if isinstance(data, np.ndarray):
            frame, _ = digests.array_frame(data)
            return frame, digests.digest_array(data), "code", {"kind": "ndarray", "shape": list(data.shape)}
    if isinstance(data, (str, os.PathLike)):
        return _read_location(os.fspath(data), version)
    raise InvalidParameter(
        f"Cannot log a {type(data).__name__} as a dataset; pass a pandas DataFrame, a NumPy array, "
        "a path to a Parquet/CSV file or folder, or a URI such as 's3://bucket/data.parquet'."
    )


def _read_location(text: str, version: str | None) -> tuple[Any, str, str, dict[str, Any]]:
    reference = {"uri": text, **({"version": version} if version else {})}
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() != "file":
        return None, digests.digest_reference(text, version), scheme.group(1).lower(), reference
    path = Path(text[len("file://"):] if scheme else text).expanduser()
    if path.exists():
        where = {"uri": str(path.resolve()), **({"version": version} if version else {})}
        return load_table(path), digests.digest_file(path), "local", where
    if _TABLE_NAME.match(text) and not text.lower().endswith(_DATA_SUFFIXES):
        return None, digests.digest_reference(text, version), "table", reference
    raise InvalidParameter(f"No file or folder at '{text}'. Check the path, or pass a URI such as 's3://...'.")


def load_table(path: Path) -> Any:
    """The table in a Parquet or CSV file, or in a folder of them (in file-name order); None for
    other files, which are still digested by their bytes."""
    import pandas as pd

    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) \
        if path.is_dir() else [path]
    if files and all(digests.is_parquet(f) for f in files):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return None
        return _drop_index_columns(pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)) \
            if len(files) > 1 else pd.read_parquet(files[0])
    if files and all(f.suffix.lower() in (".csv", ".tsv") for f in files):
        frames = [pd.read_csv(f, sep="\t" if f.suffix.lower() == ".tsv" else ",") for f in files]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return None


def _drop_index_columns(frame: Any) -> Any:
    return frame[[c for c in frame.columns if not digests.is_index_column(str(c))]]


def _source_type(source: str) -> str:
    scheme = _SCHEME.match(source)
    if scheme:
        return "local" if scheme.group(1).lower() == "file" else scheme.group(1).lower()
    return "local" if os.path.exists(source) else "external"


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
