"""The prediction log: every served prediction with its version, arm, features, output and
latency, and the outcomes logged back against it.

Serving processes send batches (``log_predictions``); people ask ``get_prediction`` ("which
version made this, from which run, with which features?") and ``search_predictions``. Each
record is checked here, so a hostile batch over the API is refused whole, never half-written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

from cairn.entities import Actor, Prediction
from cairn.errors import InvalidParameter, NotFound
from cairn.store import predictions as rows
from cairn.store import registry_versions as version_rows
from cairn.store.database import Database
from cairn.store.registry_models import find_model
from cairn.tracking import clock
from cairn.tracking.validation import INT64_MAX

from .arms import ARMS, SHADOW
from .feature_ranges import FLAG_KINDS, count_flags
from .prediction_filter import parse_prediction_filter
from .validation import parse_version, validate_model_name

MAX_BATCH = 10_000
MAX_RESULTS = 10_000
MAX_ERROR_LENGTH = 2000
MAX_ROW_INDEX = 2**31 - 1  # a 32-bit integer in the store
MAX_FLAGS = 1000  # range flags on one prediction (one per feature at most)
MAX_FLAG_ROWS = 100_000  # predictions read to count a model's range flags
_ID = re.compile(r"^[0-9A-Za-z_\-]{1,32}$")


def log_predictions(db: Database, predictions: Sequence[Prediction | Mapping[str, Any]]) -> int:
    """Store a batch in one transaction; the number of records taken (a record whose id is
    stored already is skipped, so a retried batch is harmless). ``InvalidParameter`` (nothing
    stored) when any record is malformed."""
    if not isinstance(predictions, Sequence) or isinstance(predictions, (str, bytes)):
        raise InvalidParameter("predictions must be a list of prediction records.")
    if len(predictions) > MAX_BATCH:
        raise InvalidParameter(f"A batch holds at most {MAX_BATCH} predictions, got {len(predictions)}.")
    checked = [_checked(_record(p, i), i) for i, p in enumerate(predictions)]
    try:
        with db.write() as tx:
            rows.insert_predictions(tx, checked)
    except orjson.JSONEncodeError as exc:
        raise InvalidParameter(f"Features and outputs must be JSON values (numbers, text, lists, objects): {exc}.") \
            from None
    return len(checked)


def get_prediction(db: Database, prediction_id: str) -> Prediction:
    """The prediction with its outcome and its version's source run; ``NotFound`` if unknown."""
    _check_id("prediction_id", prediction_id)
    with db.read() as tx:
        row = rows.get_prediction(tx, prediction_id)
        if row is None:
            raise NotFound(f"No prediction with id {prediction_id!r} in the prediction log.")
        model = find_model(tx, row.model_name)
        found = version_rows.get_version(tx, model.key, model.name, row.version) if model is not None else None
        return replace(row, run_id=found.run_id) if found is not None else row


def search_predictions(db: Database, name: str, since: int | None = None, until: int | None = None,
                       version: int | str | None = None, arm: str | None = None, filter_string: str | None = None,
                       max_results: int = 100) -> list[Prediction]:
    """A model's predictions, newest first, matching every condition given. ``filter_string``
    tests features, output, outcome, latency and error (``features.age > 40 and output = 1``)."""
    validate_model_name(name)
    number = parse_version(version) if version is not None else None
    if arm is not None and arm not in ARMS:
        raise InvalidParameter(f"Unknown arm {arm!r}; arms are: {', '.join(ARMS)}.")
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_RESULTS}, got {max_results!r}.")
    check_window(since, until)
    matches = parse_prediction_filter(filter_string)
    found: list[Prediction] = []
    with db.read() as tx:
        for row in rows.iter_predictions(tx, name, since, until, number, arm):
            if matches(row):
                found.append(row)
                if len(found) >= max_results:
                    break
        if not found and find_model(tx, name) is None and rows.get_any(tx, name) is None:
            # A deleted model's log stays readable; a name that never served anything is a typo.
            raise NotFound(f"Registered Model with name={name} not found, and nothing by that name was served.")
    return found


def flag_counts(db: Database, name: str, since: int | None = None, until: int | None = None) -> dict[str, Any]:
    """How many of ``name``'s served predictions (newest ``MAX_FLAG_ROWS`` in the window) were
    flagged outside the training ranges, per version and feature:
    ``{"predictions": N, "flagged": M, "truncated": bool, "versions": {"3": {"age": {"out_of_range": 2}}}}``."""
    validate_model_name(name)
    check_window(since, until)
    with db.read() as tx:
        found = rows.recent_flags(tx, name, since, until, MAX_FLAG_ROWS + 1)
    read = min(len(found), MAX_FLAG_ROWS)
    per_version: dict[int, list[Any]] = {}
    for version, flags in found[:MAX_FLAG_ROWS]:
        if flags:
            per_version.setdefault(version, []).append(flags)
    flagged = sum(len(f) for f in per_version.values())
    return {"model_name": name, "predictions": read, "flagged": flagged, "truncated": len(found) > MAX_FLAG_ROWS,
            "versions": {str(v): count_flags(flags) for v, flags in sorted(per_version.items())}}


def answered_a_caller(prediction: Prediction) -> bool:
    """Whether the prediction went back to whoever asked: not a shadow's copy, not a failure.
    These are the rows that describe live traffic (e.g. for drift against training data)."""
    return prediction.arm != SHADOW and prediction.error is None


def log_outcome(db: Database, prediction_id: str, value: float, actor: Actor) -> None:
    """Record what actually happened for a prediction (a label, a conversion, a revenue…); a
    second outcome for the same prediction replaces the first."""
    _check_id("prediction_id", prediction_id)
    if isinstance(value, bool):
        value = float(value)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameter(f"An outcome is a finite number, got {value!r}.")
    with db.write() as tx:
        if rows.get_prediction(tx, prediction_id) is None:
            raise NotFound(f"No prediction with id {prediction_id!r} in the prediction log; outcomes join "
                           "predictions by the id the serving response gave.")
        rows.upsert_outcome(tx, prediction_id, float(value), clock.now_ms(), actor.name)


def check_window(since: object, until: object) -> None:
    """``InvalidParameter`` unless both bounds are None or epoch milliseconds."""
    for label, value in (("since", since), ("until", until)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= INT64_MAX):
            raise InvalidParameter(f"{label} must be a time in milliseconds since the epoch, got {value!r}.")


def _record(item: object, index: int) -> Mapping[str, Any]:
    if isinstance(item, Prediction):
        return item.to_dict()
    if not isinstance(item, Mapping):
        raise InvalidParameter(f"prediction {index} must be an object of fields, got {type(item).__name__}.")
    return item


def _checked(record: Mapping[str, Any], index: int) -> dict[str, Any]:
    where = f"prediction {index}"
    try:
        checked = {
            "prediction_id": _check_id(f"{where}: prediction_id", record["prediction_id"]),
            "request_id": _check_id(f"{where}: request_id", record["request_id"]),
            "row_index": _int(f"{where}: row_index", record["row_index"], MAX_ROW_INDEX),
            "timestamp": _int(f"{where}: timestamp", record["timestamp"]),
            "model_name": validate_model_name(record["model_name"], "model_name"),
            "version": parse_version(record["version"]),
            "arm": record["arm"],
            "features": record.get("features"),
            "output": record.get("output"),
            "latency_ms": record["latency_ms"],
            "error": record.get("error"),
            "flags": _flags(f"{where}: flags", record.get("flags")),
        }
    except KeyError as missing:
        raise InvalidParameter(f"{where} lacks the field {missing.args[0]!r}.") from None
    if checked["arm"] not in ARMS:
        raise InvalidParameter(f"{where}: unknown arm {checked['arm']!r}; arms are: {', '.join(ARMS)}.")
    latency = checked["latency_ms"]
    if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 <= latency < 1e12:
        raise InvalidParameter(f"{where}: latency_ms must be a non-negative number, got {latency!r}.")
    error = checked["error"]
    if error is not None and (not isinstance(error, str) or len(error) > MAX_ERROR_LENGTH):
        raise InvalidParameter(f"{where}: error must be text of at most {MAX_ERROR_LENGTH} characters.")
    return checked


def _flags(label: str, value: object) -> list[dict[str, Any]] | None:
    """Range flags as ``feature_ranges`` makes them; None (or empty) for none."""
    if value is None or value == []:
        return None
    if not isinstance(value, list) or len(value) > MAX_FLAGS:
        raise InvalidParameter(f"{label} must be a list of at most {MAX_FLAGS} flags.")
    for flag in value:
        if (not isinstance(flag, dict) or not isinstance(flag.get("feature"), str)
                or flag.get("kind") not in FLAG_KINDS):
            raise InvalidParameter(f"{label}: each flag is an object with a feature name and a kind "
                                   f"({', '.join(FLAG_KINDS)}).")
    return value


def _check_id(label: str, value: object) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidParameter(f"{label} must be 1-32 letters, digits, '_' or '-', got {str(value)[:40]!r}.")
    return value


def _int(label: str, value: object, limit: int = INT64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InvalidParameter(f"{label} must be an integer from 0 to {limit}, got {value!r}.")
    return value
