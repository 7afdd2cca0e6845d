"""Validation of names, values and limits, with MLflow's limits.

Everything here is pure: it inspects values and raises ``InvalidParameter`` with a message that
says what was wrong and what would be accepted. It runs before anything is written, so a rejected
batch writes nothing.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Sequence

from cairn.entities import Metric, Param, RunTag
from cairn.errors import InvalidParameter

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_RUN_NAME_LENGTH = 250
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_SEARCH_RESULTS = 50_000
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 64
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_VALID_KEY = re.compile(r"^[/\w.\- :]*$")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID = re.compile(r"^[0-9]{1,18}$")


def validate_key(kind: str, key: object) -> str:
    """Metric, param and tag keys: MLflow's character set, a unique path form, <= 250 chars."""
    if not isinstance(key, str) or key == "":
        raise InvalidParameter(f"{kind.capitalize()} key must be a non-empty string, got {key!r}.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            f"{kind.capitalize()} key '{key[:40]}...' is {len(key)} characters; the limit is {MAX_KEY_LENGTH}."
        )
    if not _VALID_KEY.match(key):
        raise InvalidParameter(
            f"Invalid {kind} key {key!r}: names may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)."
        )
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise InvalidParameter(
            f"Invalid {kind} key {key!r}: it must be a normalized relative path "
            "(no '..', no leading or doubled '/', no './')."
        )
    return key


def validate_int64(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidParameter(f"{name} {value} is outside the 64-bit integer range.")
    return value


def validate_metric(metric: Metric) -> None:
    validate_key("metric", metric.key)
    value = metric.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameter(
            f"Metric '{metric.key}' value must be a number, got {type(value).__name__} {value!r}."
        )
    if isinstance(value, int) and not math.isfinite(float(value)):
        raise InvalidParameter(f"Metric '{metric.key}' value {value} does not fit a 64-bit float.")
    validate_int64(f"Metric '{metric.key}' timestamp", metric.timestamp)
    validate_int64(f"Metric '{metric.key}' step", metric.step)


def validate_metrics(metrics: Sequence[Metric]) -> None:
    """Validate many points fast: each distinct key once, plain floats and int64s on a fast path."""
    keys: set[str] = set()
    lo, hi = INT64_MIN, INT64_MAX
    for metric in metrics:
        key, value, timestamp, step = metric
        keys.add(key)
        if (
            type(value) is not float
            or type(timestamp) is not int
            or type(step) is not int
            or not lo <= step <= hi
            or not lo <= timestamp <= hi
        ):
            validate_metric(metric)
    for key in keys:
        validate_key("metric", key)


def validate_param(param: Param) -> None:
    validate_key("param", param.key)
    _validate_text(f"Param '{param.key}' value", param.value, MAX_PARAM_VALUE_LENGTH)


def validate_tag(tag: RunTag) -> None:
    validate_key("tag", tag.key)
    _validate_text(f"Tag '{tag.key}' value", tag.value, MAX_TAG_VALUE_LENGTH)


def _validate_text(what: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a string, got {type(value).__name__}.")
    if len(value) > limit:
        raise InvalidParameter(
            f"{what} is {len(value)} characters; the limit is {limit}. "
            "Store long values as an artifact instead (log_text / log_dict)."
        )
    if "\x00" in value:
        raise InvalidParameter(f"{what} contains a NUL character.")


def validate_batch(metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]) -> None:
    """MLflow's log-batch limits, then each entity. Raises before anything is written."""
    for what, count, limit in (
        ("metrics", len(metrics), MAX_METRICS_PER_BATCH),
        ("params", len(params), MAX_PARAMS_TAGS_PER_BATCH),
        ("tags", len(tags), MAX_PARAMS_TAGS_PER_BATCH),
        ("metrics, params and tags", len(metrics) + len(params) + len(tags), MAX_ENTITIES_PER_BATCH),
    ):
        if count > limit:
            raise InvalidParameter(
                f"A batch may hold at most {limit} {what}; got {count}. Split it into several batches."
            )
    validate_metrics(metrics)
    seen: dict[str, str] = {}
    for param in params:
        validate_param(param)
        if seen.setdefault(param.key, param.value) != param.value:
            raise InvalidParameter(
                f"Param '{param.key}' appears twice in the batch with different values; params are immutable."
            )
    for tag in tags:
        validate_tag(tag)


def validate_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter("Experiment name must be a non-empty string.")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameter(
            f"Experiment name is {len(name)} characters; the limit is {MAX_EXPERIMENT_NAME_LENGTH}."
        )
    if "\x00" in name:
        raise InvalidParameter("Experiment name contains a NUL character.")
    return name


def validate_experiment_tag(key: str, value: object) -> None:
    validate_key("experiment tag", key)
    _validate_text(f"Experiment tag '{key}' value", value, MAX_EXPERIMENT_TAG_VALUE_LENGTH)


def validate_run_name(name: object) -> str:
    if not isinstance(name, str):
        raise InvalidParameter(f"Run name must be a string, got {type(name).__name__}.")
    if len(name) > MAX_RUN_NAME_LENGTH:
        raise InvalidParameter(f"Run name is {len(name)} characters; the limit is {MAX_RUN_NAME_LENGTH}.")
    return name


def parse_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise InvalidParameter(f"Invalid run id {run_id!r}: expected the 32-character hex id of a run.")
    return run_id


def parse_experiment_id(experiment_id: object) -> int:
    text = str(experiment_id) if isinstance(experiment_id, int) and not isinstance(experiment_id, bool) else experiment_id
    if not isinstance(text, str) or not _EXPERIMENT_ID.match(text):
        raise InvalidParameter(f"Invalid experiment id {experiment_id!r}: expected a number such as '0' or '12'.")
    return int(text)


def validate_max_results(max_results: object, limit: int = MAX_SEARCH_RESULTS) -> int:
    value = validate_int64("max_results", max_results)
    if not 1 <= value <= limit:
        raise InvalidParameter(f"max_results must be between 1 and {limit}, got {value}.")
    return value
