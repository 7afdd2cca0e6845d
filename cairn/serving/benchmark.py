"""``cairn models benchmark``: a version's latency, measured the way ``cairn serve`` runs it.

The version is downloaded and loaded by the serving ``VersionLoader`` (the same requirement
check, flavor loading and signature enforcement), then its input example (or a logged
dataset's rows) is replayed as scoring requests: one row per request, then batches. Each timed
call is what a serving worker does for a request once the HTTP body is read: parse the MLflow
scoring payload, predict, turn the answer into JSON rows. The result records the machine.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidParameter
from cairn.registry.evidence import MAX_BATCH_ROWS, BenchmarkResult

from .deployment import VersionLoader
from .scoring import parse_scoring_request, prediction_rows

if TYPE_CHECKING:
    from cairn.client.client import Client

DEFAULT_ROWS = 200
MAX_ROWS = 100_000
DEFAULT_BATCH_ROWS = 32
WARMUP_REQUESTS = 3
SOURCE_EXAMPLE = "input_example"


def run_benchmark(client: Client, name: str, version: int, rows: int = DEFAULT_ROWS,
                  dataset: str | None = None, batch_rows: int | None = None) -> BenchmarkResult:
    """Load ``name`` v``version`` as ``cairn serve`` does and time ``rows`` single-row requests
    and the same rows in batches of ``batch_rows`` (default: the version's max batch, else
    ``DEFAULT_BATCH_ROWS``)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_ROWS:
        raise InvalidParameter(f"--rows must be an integer from 1 to {MAX_ROWS}, got {rows!r}.")
    if batch_rows is None:
        batch_rows = client.get_version_requirements(name, version).max_batch or DEFAULT_BATCH_ROWS
    batch_rows = max(1, min(batch_rows, rows, MAX_BATCH_ROWS))
    loader = VersionLoader(client, name)
    try:
        model, _ = loader(version)
        if dataset is not None:
            columns, data, source = _signature_columns(model, *_dataset_rows(client, dataset))
        else:
            columns, data = _example_rows(model.path, name, version)
            source = SOURCE_EXAMPLE
        single = [_payload(columns, [data[i % len(data)]]) for i in range(rows)]
        batches = [_payload(columns, [data[(b * batch_rows + i) % len(data)] for i in range(batch_rows)])
                   for b in range(max(1, rows // batch_rows))]
        for payload in single[:WARMUP_REQUESTS]:
            _score(model, payload)
        single_ms = [_timed(model, payload) for payload in single]
        batch_ms = [_timed(model, payload) for payload in batches]
    finally:
        loader.close()
        shutil.rmtree(loader.folder, ignore_errors=True)
    return BenchmarkResult(
        p50_ms=_percentile(single_ms, 50), p99_ms=_percentile(single_ms, 99),
        rows_per_s=len(single_ms) / (sum(single_ms) / 1000) if sum(single_ms) else 0.0, requests=len(single_ms),
        batch_rows=batch_rows, batch_p50_ms=_percentile(batch_ms, 50), batch_p99_ms=_percentile(batch_ms, 99),
        batch_rows_per_s=batch_rows * len(batch_ms) / (sum(batch_ms) / 1000) if sum(batch_ms) else 0.0,
        batches=len(batch_ms), source=source, machine=machine(),
    )


def machine() -> dict[str, Any]:
    """Where the benchmark ran: the numbers only mean something on that kind of machine."""
    return {"hostname": socket.gethostname()[:100], "cpu_count": os.cpu_count() or 0,
            "platform": platform.platform()[:100], "python": platform.python_version()}


def _score(model: Any, payload: dict[str, Any]) -> None:
    prediction_rows(model.predict(parse_scoring_request(payload), "reject"))


def _timed(model: Any, payload: dict[str, Any]) -> float:
    started = time.perf_counter()
    _score(model, payload)
    return (time.perf_counter() - started) * 1000


def _payload(columns: list[Any] | None, data: list[Any]) -> dict[str, Any]:
    if columns is None:
        return {"inputs": data}
    return {"dataframe_split": {"columns": columns, "data": data}}


def _example_rows(folder: Path, name: str, version: int) -> tuple[list[Any] | None, list[Any]]:
    from cairn.models.package import SERVING_EXAMPLE_FILE

    info = _example_info(folder)
    path = folder / str(info.get("serving_input_path") or SERVING_EXAMPLE_FILE)
    if not path.is_file():
        raise InvalidParameter(
            f"Version {version} of '{name}' has no input example to replay; log the model with input_example=... "
            f"or pass rows: cairn models benchmark {name} {version} --dataset REF.")
    body = json.loads(path.read_text())
    if isinstance(body.get("dataframe_split"), dict):
        split = body["dataframe_split"]
        columns, data = split.get("columns"), split.get("data") or []
    elif isinstance(body.get("inputs"), list):
        columns, data = None, body["inputs"]
    elif isinstance(body.get("dataframe_records"), list):
        records = body["dataframe_records"]
        columns = list(records[0]) if records else []
        data = [[row.get(c) for c in columns] for row in records]
    else:
        raise InvalidParameter(f"The input example of version {version} of '{name}' is in a form the benchmark "
                               "cannot replay; pass --dataset REF.")
    if not data:
        raise InvalidParameter(f"The input example of version {version} of '{name}' has no rows.")
    return columns, data


def _example_info(folder: Path) -> dict[str, Any]:
    from cairn.models.mlmodel import read_mlmodel

    info = read_mlmodel(folder).fields.get("saved_input_example_info")
    return info if isinstance(info, dict) else {}


def _dataset_rows(client: Client, ref: str) -> tuple[list[Any], list[Any], str]:
    """The rows of a logged dataset whose source is a local table (or of a Parquet/CSV path)."""
    from cairn.datasets.sources import load_table

    path = Path(ref).expanduser()
    label = f"dataset:{ref}"
    if not path.exists():
        record = client.get_dataset(ref)
        try:
            uri = json.loads(record.dataset.source or "{}").get("uri")
        except ValueError:
            uri = None
        path = Path(str(uri or "")).expanduser()
        if not uri or not path.exists():
            raise InvalidParameter(f"Dataset {ref!r} was logged from {record.dataset.source or 'an unknown source'}, "
                                   "which is not a table on this machine; pass a Parquet or CSV path instead.")
        label = f"dataset:{record.dataset.name}@{record.dataset.digest[:12]}"
    frame = load_table(path)
    if frame is None or not len(frame):
        raise InvalidParameter(f"{path} holds no table rows (Parquet or CSV) to replay.")
    split = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    return split["columns"], split["data"], label


def _signature_columns(model: Any, columns: list[Any], data: list[Any], source: str) -> tuple[list[Any], list[Any], str]:
    """The dataset's rows cut to the columns the signature names (a logged dataset usually
    carries its label too); every column when the signature names none."""
    signature = model.signature
    wanted = signature.inputs.column_names if signature is not None and not signature.inputs.is_tensor_based else None
    if not wanted:
        return columns, data, source
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InvalidParameter(f"{source} lacks the column(s) the model's signature needs: {', '.join(missing)}.")
    index = [columns.index(c) for c in wanted]
    return wanted, [[row[i] for i in index] for row in data], source


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q)) if values else math.nan
