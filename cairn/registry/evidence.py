"""Version evidence: a version's serving requirements, and the latency benchmarks measured on it.

Requirements say what the version needs to serve: a p99 latency budget, the largest batch it
takes, CPU or GPU, and memory. A benchmark (``cairn models benchmark``, run where the model is
loaded) records p50/p99 latency and throughput, single-row and batched, with the machine it ran
on. Both are stored with the version; the newest of each counts, and the latency gate reads them.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from cairn.entities import Actor
from cairn.errors import InvalidParameter
from cairn.store import version_evidence as rows
from cairn.store.database import Database
from cairn.store.registry_models import ModelRef, Tx
from cairn.tracking import clock

from .models import require_model
from .refs import require_version
from .validation import parse_version, validate_model_name

REQUIREMENTS, BENCHMARK = "requirements", "benchmark"
DEVICES = ("cpu", "gpu")
MAX_LATENCY_MS = 3_600_000.0  # an hour: anything longer is not a latency budget
MAX_BATCH_ROWS = 1_000_000
MAX_MEMORY_BYTES = 2**50  # 1 PiB
MAX_MACHINE_TEXT = 200
MAX_SOURCE_TEXT = 500
_LATENCY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_MEMORY_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
                 "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


@dataclass(frozen=True)
class ServingRequirements:
    """What a version needs to serve; None: not stated."""

    latency_p99_ms: float | None = None
    max_batch: int | None = None
    device: str | None = None
    memory_bytes: int | None = None
    set_by: str | None = None
    set_time: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServingRequirements:
        return cls(**{k: data.get(k) for k in ("latency_p99_ms", "max_batch", "device", "memory_bytes",
                                              "set_by", "set_time")})


@dataclass(frozen=True)
class BenchmarkResult:
    """One latency benchmark of a version: single-row requests and batches of ``batch_rows``."""

    p50_ms: float
    p99_ms: float
    rows_per_s: float
    requests: int
    batch_rows: int
    batch_p50_ms: float
    batch_p99_ms: float
    batch_rows_per_s: float
    batches: int
    source: str
    machine: dict[str, Any] = field(default_factory=dict)
    measured_by: str | None = None
    measured_time: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkResult:
        if not isinstance(data, dict):
            raise InvalidParameter("A benchmark result must be a JSON object.")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidParameter(f"Unknown benchmark field(s): {', '.join(unknown)}.")
        try:
            return cls(**data)
        except TypeError as exc:
            raise InvalidParameter(f"A benchmark result needs every measured field: {exc}.") from None


def parse_latency(text: object) -> float:
    """``"20ms"``, ``"0.5s"`` or a bare number of milliseconds, in ms."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return _checked_latency(float(text))
    match = _LATENCY.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidParameter(f"Latency {text!r} should look like 20ms or 0.5s.")
    value = float(match.group(1)) * (1000 if match.group(2) == "s" else 1)
    return _checked_latency(value)


def parse_memory(text: object) -> int:
    """``"2GiB"``, ``"512MiB"``, ``"1GB"`` or a bare number of bytes, in bytes."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _MEMORY.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidParameter(f"Memory {text!r} should look like 2GiB, 512MiB or 1GB.")
        value = int(float(match.group(1)) * _MEMORY_UNITS[(match.group(2) or "b").lower()])
    if not 0 < value <= MAX_MEMORY_BYTES:
        raise InvalidParameter(f"Memory must be more than 0 and at most {MAX_MEMORY_BYTES} bytes, got {value}.")
    return value


def format_memory(value: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value}B"


def set_requirements(db: Database, name: str, version: int | str, actor: Actor, *,
                     latency_p99: object = None, max_batch: object = None, device: object = None,
                     memory: object = None) -> ServingRequirements:
    """State what the version needs to serve. Fields not given keep their stored value;
    ``InvalidParameter`` for a value out of range, ``NotFound`` for a missing version."""
    validate_model_name(name)
    number = parse_version(version)
    given = {
        "latency_p99_ms": parse_latency(latency_p99) if latency_p99 is not None else None,
        "max_batch": _checked_batch(max_batch) if max_batch is not None else None,
        "device": _checked_device(device) if device is not None else None,
        "memory_bytes": parse_memory(memory) if memory is not None else None,
    }
    if all(value is None for value in given.values()):
        raise InvalidParameter("Give at least one requirement: latency p99, max batch, cpu/gpu or memory.")
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        require_version(tx, model, number)
        current = latest_requirements(tx, model, number)
        merged = {**current.to_dict(), **{k: v for k, v in given.items() if v is not None}}
        now = clock.now_ms()
        merged.update(set_by=actor.name, set_time=now)
        rows.add_evidence(tx, model.key, number, REQUIREMENTS, orjson.dumps(merged).decode(), now, actor.name)
    return ServingRequirements.from_dict(merged)


def record_benchmark(db: Database, name: str, version: int | str, result: BenchmarkResult | dict[str, Any],
                     actor: Actor) -> BenchmarkResult:
    """Keep a benchmark measured on the version (the newest is the one gates read)."""
    validate_model_name(name)
    number = parse_version(version)
    checked = _checked_benchmark(result if isinstance(result, BenchmarkResult) else BenchmarkResult.from_dict(result))
    with db.write() as tx:
        model = require_model(tx, name, lock=True)
        require_version(tx, model, number)
        now = clock.now_ms()
        stored = {**checked.to_dict(), "measured_by": actor.name, "measured_time": now}
        rows.add_evidence(tx, model.key, number, BENCHMARK, orjson.dumps(stored).decode(), now, actor.name)
    return BenchmarkResult.from_dict(stored)


def get_evidence(db: Database, name: str, version: int | str) -> tuple[ServingRequirements, BenchmarkResult | None]:
    """The version's requirements (empty when none were stated) and newest benchmark."""
    validate_model_name(name)
    number = parse_version(version)
    with db.read() as tx:
        model = require_model(tx, name)
        require_version(tx, model, number)
        return latest_requirements(tx, model, number), latest_benchmark(tx, model, number)


def latest_requirements(tx: Tx, model: ModelRef, version: int) -> ServingRequirements:
    row = rows.latest_evidence(tx, model.key, version, REQUIREMENTS)
    return ServingRequirements.from_dict(orjson.loads(row.body)) if row is not None else ServingRequirements()


def latest_benchmark(tx: Tx, model: ModelRef, version: int) -> BenchmarkResult | None:
    row = rows.latest_evidence(tx, model.key, version, BENCHMARK)
    return BenchmarkResult.from_dict(orjson.loads(row.body)) if row is not None else None


def _checked_latency(value: float) -> float:
    if not math.isfinite(value) or not 0 < value <= MAX_LATENCY_MS:
        raise InvalidParameter(f"A latency must be more than 0 and at most {MAX_LATENCY_MS:g} ms, got {value:g}.")
    return value


def _checked_batch(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH_ROWS:
        raise InvalidParameter(f"max batch must be an integer from 1 to {MAX_BATCH_ROWS}, got {value!r}.")
    return value


def _checked_device(value: object) -> str:
    text = str(value).strip().lower()
    if text not in DEVICES:
        raise InvalidParameter(f"device must be one of {', '.join(DEVICES)}, got {value!r}.")
    return text


def _checked_benchmark(result: BenchmarkResult) -> BenchmarkResult:
    for label in ("p50_ms", "p99_ms", "rows_per_s", "batch_p50_ms", "batch_p99_ms", "batch_rows_per_s"):
        value = getattr(result, label)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InvalidParameter(f"Benchmark field {label} must be a non-negative number, got {value!r}.")
    for label in ("requests", "batch_rows", "batches"):
        value = getattr(result, label)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH_ROWS:
            raise InvalidParameter(f"Benchmark field {label} must be an integer from 1 to {MAX_BATCH_ROWS}.")
    if not isinstance(result.source, str) or not result.source or len(result.source) > MAX_SOURCE_TEXT:
        raise InvalidParameter(f"Benchmark field source must be text of 1 to {MAX_SOURCE_TEXT} characters.")
    machine = result.machine
    if not isinstance(machine, dict) or any(not isinstance(k, str) or len(str(v)) > MAX_MACHINE_TEXT
                                           for k, v in machine.items()):
        raise InvalidParameter(f"Benchmark field machine must be an object of short values "
                               f"(at most {MAX_MACHINE_TEXT} characters each).")
    return BenchmarkResult(float(result.p50_ms), float(result.p99_ms), float(result.rows_per_s), result.requests,
                           result.batch_rows, float(result.batch_p50_ms), float(result.batch_p99_ms),
                           float(result.batch_rows_per_s), result.batches, result.source, dict(machine))
