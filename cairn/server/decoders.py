"""Decoders for the request messages that need more than one field accessor: where a request's
fields come from (query string or JSON body), metric lists (the log-batch hot path) and dataset
inputs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from cairn.entities import Dataset, DatasetInput, Metric
from cairn.tracking.logged_models import ModelMetric
from cairn.tracking.validation import INT64_MAX, INT64_MIN

from .fields import Fields, as_double, as_int, as_string, invalid, missing
from .wire import read_json


async def request_fields(request: Request) -> Fields:
    """GET reads the query string (or, as MLflow allows, a JSON body when there is no query
    string); every other method reads the JSON body."""
    if request.method == "GET" and request.url.query:
        return Fields(request.query_params)
    return Fields(await read_json(request))


def run_id_of(fields: Fields) -> str:
    """``run_id``, or the deprecated ``run_uuid`` older clients send."""
    run_id = fields.string("run_id") or fields.string("run_uuid")
    if not run_id:
        raise missing("run_id")
    return run_id


def decode_metrics(fields: Fields, name: str = "metrics") -> tuple[list[Metric], list[ModelMetric]]:
    """A repeated Metric field, split into plain run metrics and metrics naming a logged model.

    Written as one loop with inline type checks because log-batch carries up to 1000 points per
    request; anything unusual falls back to the strict accessors for their messages.
    """
    raw = fields.raw(name)
    if raw is None:
        return [], []
    if type(raw) is not list:
        raise invalid(name, raw, "a list of metric objects")
    plain: list[Metric] = []
    linked: list[ModelMetric] = []
    lo, hi = INT64_MIN, INT64_MAX
    for i, item in enumerate(raw):
        if type(item) is not dict:
            raise invalid(f"{name}[{i}]", item, "an object with key, value, timestamp and step")
        key = item.get("key")
        value = item.get("value")
        timestamp = item.get("timestamp")
        step = item.get("step", 0)
        if type(key) is not str or not key:
            _required_string(f"{name}[{i}].key", key)
        if type(value) is not float:
            if value is None:
                raise missing(f"{name}[{i}].value")
            value = as_double(f"{name}[{i}].value", value)
        if type(timestamp) is not int or not lo <= timestamp <= hi:
            if timestamp is None:
                raise missing(f"{name}[{i}].timestamp")
            timestamp = as_int(f"{name}[{i}].timestamp", timestamp)
        if type(step) is not int or not lo <= step <= hi:
            step = 0 if step is None else as_int(f"{name}[{i}].step", step)
        model_id = item.get("model_id")
        if model_id is None or model_id == "":
            plain.append(Metric(key, value, timestamp, step))
        else:
            linked.append(ModelMetric(
                key, value, timestamp, step, as_string(f"{name}[{i}].model_id", model_id),
                dataset_name=_optional_string(item, "dataset_name", f"{name}[{i}]"),
                dataset_digest=_optional_string(item, "dataset_digest", f"{name}[{i}]"),
            ))  # fmt: skip
    return plain, linked


def decode_dataset_inputs(fields: Fields) -> list[DatasetInput]:
    inputs = []
    for item in fields.messages("datasets"):
        dataset = item.message("dataset")
        if dataset is None:
            raise missing(f"{item.path}.dataset")
        inputs.append(DatasetInput(
            Dataset(
                name=dataset.required_string("name"),
                digest=dataset.required_string("digest"),
                source_type=dataset.string("source_type", default="") or "",
                source=dataset.string("source", default="") or "",
                schema=dataset.string("schema"),
                profile=dataset.string("profile"),
            ),
            tags=item.key_values("tags"),
        ))  # fmt: skip
    return inputs


def _required_string(path: str, value: Any) -> None:
    if value is None or value == "":
        raise missing(path)
    raise invalid(path, value, "a string")


def _optional_string(item: dict[str, Any], name: str, path: str) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    return as_string(f"{path}.{name}", value)
