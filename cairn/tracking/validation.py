"""Validation of names, values and limits, with MLflow's limits.

Everything here is pure: it inspects values and raises ``InvalidParameter`` with a message that
says what was wrong and what would be accepted. It runs before anything is written, so a rejected
batch writes nothing. Where MLflow words an error in a fixed way (``Invalid value "a!b" for
parameter 'params[0].key' supplied``, ``Duplicate parameter keys have been submitted``), the
message starts with MLflow's words, which scripts and MLflow's tests match, and goes on with
Cairn's explanation.
"""

from __future__ import annotations

import json
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
MAX_DATASET_SOURCE_TYPE_LENGTH = 64
MAX_INPUT_TAG_VALUE_LENGTH = 500  # MLflow's limit
MAX_INPUT_CONTEXT_LENGTH = 64  # the context (training, validation...) is kept in its own column too
MAX_USER_LENGTH = 256
RUN_ID_LENGTH = 32
# Experiment ids are 32-bit integer keys in the store (as in MLflow's SQL store): a larger number
# names no experiment on any backend, and PostgreSQL refuses to compare it with the column.
MAX_EXPERIMENT_ID = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_VALID_KEY = re.compile(r"[/\w.\- :]*")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID = re.compile(r"^[0-9]{1,18}$")
# C0 control characters and DEL: invisible in listings and logs, and a NUL ends a C string.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_SHOWN = 80


def invalid_value(path: str, value: object, reason: str) -> InvalidParameter:
    """MLflow's wording for a bad field (``Invalid value "a!b" for parameter 'key' supplied``,
    the value as compact JSON), then ``reason``."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
    if len(shown) > _MAX_SHOWN:
        shown = shown[:_MAX_SHOWN] + "..."
    return InvalidParameter(f"Invalid value {shown} for parameter '{path}' supplied: {reason}")


def control_character_in(text: str) -> str | None:
    """The first control character (U+0000-U+001F, U+007F) in ``text`` as ``U+XXXX``, or None."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def validate_key(kind: str, key: object, path: str = "key") -> str:
    """Metric, param and tag keys: MLflow's character set, a unique path form, <= 250 chars.
    ``path`` names the field in the message, as MLflow does (``params[3].key``)."""
    if not isinstance(key, str) or key == "":
        raise invalid_value(path, key, f"a {kind} key must be a non-empty string.")
    if len(key) > MAX_KEY_LENGTH:
        raise invalid_value(path, key, f"the {kind} key is {len(key)} characters; the limit is {MAX_KEY_LENGTH}.")
    if not _VALID_KEY.fullmatch(key):
        raise invalid_value(
            path, key, "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
            f"spaces ( ), colon(:) and slashes (/); this {kind} key has another character."
        )
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise invalid_value(
            path, key, "Names may be treated as files in certain cases, and must not resolve to other names "
            f"when treated as such. This name would resolve to {norm!r}: a {kind} key must be a normalized "
            "relative path (no '..', no leading or doubled '/', no './')."
        )
    return key


def validate_int64(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidParameter(f"{name} {value} is outside the 64-bit integer range.")
    return value


def validate_metric(metric: Metric, path: str = "metrics[0]") -> None:
    validate_key("metric", metric.key, f"{path}.name")  # MLflow names a metric's key 'name' here
    value = metric.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_value(f"{path}.value", value, f"metric '{metric.key}' value must be a number (a 64-bit float).")
    if isinstance(value, int) and not math.isfinite(float(value)):
        raise invalid_value(f"{path}.value", value, f"metric '{metric.key}' value does not fit a 64-bit float.")
    for name, number in (("timestamp", metric.timestamp), ("step", metric.step)):
        if isinstance(number, bool) or not isinstance(number, int) or not INT64_MIN <= number <= INT64_MAX:
            raise invalid_value(f"{path}.{name}", number, f"metric '{metric.key}' {name} must be a 64-bit integer.")


def validate_metrics(metrics: Sequence[Metric]) -> None:
    """Validate many points fast: each distinct key once, plain floats and int64s on a fast path."""
    keys: dict[str, int] = {}
    lo, hi = INT64_MIN, INT64_MAX
    for i, metric in enumerate(metrics):
        key, value, timestamp, step = metric
        keys.setdefault(key, i)
        if (
            type(value) is not float
            or type(timestamp) is not int
            or type(step) is not int
            or not lo <= step <= hi
            or not lo <= timestamp <= hi
        ):
            validate_metric(metric, f"metrics[{i}]")
    for key, i in keys.items():
        validate_key("metric", key, f"metrics[{i}].name")


def validate_param(param: Param, path: str = "params[0]") -> None:
    validate_key("param", param.key, f"{path}.key")
    _validate_text(f"Param '{param.key}' value", param.value, MAX_PARAM_VALUE_LENGTH)


def validate_tag(tag: RunTag, path: str = "tags[0]") -> None:
    validate_key("tag", tag.key, f"{path}.key")
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
    for i, param in enumerate(params):
        validate_param(param, f"params[{i}]")
    for i, tag in enumerate(tags):
        validate_tag(tag, f"tags[{i}]")
    validate_param_keys_unique(params)


def validate_param_keys_unique(params: Sequence[Param]) -> None:
    """A key given twice in one batch must carry the same value both times (the copies are then
    one param); two different values are refused, so the batch never depends on which one wins.
    MLflow refuses any repeated key; its wording starts the message."""
    seen: dict[str, str] = {}
    clashes: dict[str, tuple[str, str]] = {}
    for param in params:
        first = seen.setdefault(param.key, param.value)
        if first != param.value and param.key not in clashes:
            clashes[param.key] = (first, param.value)
    if clashes:
        key, (first, second) = next(iter(clashes.items()))
        raise InvalidParameter(
            f"Duplicate parameter keys have been submitted: {list(clashes)}. Please ensure the request "
            f"contains only one param value per param key. Param '{key}' is given as '{first[:100]}' and "
            f"as '{second[:100]}'; params are immutable, so the batch was refused and nothing was written."
        )


def validate_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(f"Invalid experiment name: '{name}'. Experiment name must be a non-empty string.")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameter(
            f"'name' exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} characters: the experiment name "
            f"is {len(name)} characters."
        )
    control = control_character_in(name)
    if control is not None:
        raise InvalidParameter(
            f"Invalid experiment name: {json.dumps(name)}. It contains the control character {control}; "
            "names are shown in listings and logs, where control characters are invisible or break lines."
        )
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
        raise invalid_value("run_id", run_id, "expected the 32-character hex id of a run.")
    return run_id


def parse_run_reference(run_id: object) -> str:
    """A run id that is stored as a reference (a version's or a logged model's source run): at most
    ``RUN_ID_LENGTH`` characters, the length of every run id Cairn and MLflow make, where a lookup
    (``parse_run_id``) takes MLflow's longer form and simply finds nothing."""
    parse_run_id(run_id)
    assert isinstance(run_id, str)
    if len(run_id) > RUN_ID_LENGTH:
        raise invalid_value("run_id", run_id, f"a run id has {RUN_ID_LENGTH} characters; this one has {len(run_id)}.")
    return run_id


def parse_experiment_id(experiment_id: object) -> int:
    text = str(experiment_id) if isinstance(experiment_id, int) and not isinstance(experiment_id, bool) else experiment_id
    if not isinstance(text, str) or not _EXPERIMENT_ID.match(text):
        raise InvalidParameter(f"Invalid experiment id {experiment_id!r}: expected a number such as '0' or '12'.")
    if int(text) > MAX_EXPERIMENT_ID:
        raise InvalidParameter(f"Invalid experiment id {experiment_id!r}: experiment ids go up to {MAX_EXPERIMENT_ID}.")
    return int(text)


def validate_user(user_id: str) -> str:
    """The name a run is recorded under (``mlflow.user``)."""
    if len(user_id) > MAX_USER_LENGTH:
        raise InvalidParameter(f"The user name is {len(user_id)} characters; the limit is {MAX_USER_LENGTH}.")
    return user_id


def validate_max_results(max_results: object, limit: int = MAX_SEARCH_RESULTS) -> int:
    if (
        isinstance(max_results, bool) or not isinstance(max_results, int)
        or not 1 <= max_results <= limit
    ):
        raise InvalidParameter(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be an integer "
            f"between 1 and {limit}."
        )
    return max_results
