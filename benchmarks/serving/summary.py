"""The results document (what lands in JSON) and its rendering as a table for the terminal."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from typing import Any

from host import cpu_model

OVERHEAD_TARGET_MS = 1.0
LOGGING_COST_TARGET = 0.10
LOG_ON = "cairn serve, prediction log on"
LOG_OFF = "cairn serve, prediction log off"
MLFLOW = "mlflow models serve"
SKLEARN = "in-process: sklearn model.predict"
CAIRN_MODEL = "in-process: cairn.load_model(...).predict"
DECODE_PREDICT = "in-process: JSON body -> DataFrame -> predict"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    model = cpu_model()
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "cairn": _version("cairn-tracker"), "mlflow": _version("mlflow"),
        "scikit-learn": _version("scikit-learn"), "httpx": _version("httpx"),
    }  # fmt: skip


def machine_line(info: dict[str, Any]) -> str:
    return (f"{info['cpus']} CPUs ({info['cpu_model']}), {info['system']}, Python {info['python']}, "
            f"cairn {info['cairn']}, mlflow {info['mlflow']}, scikit-learn {info['scikit-learn']}")  # fmt: skip


def derived(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The figures the project's targets are stated in; None where a measurement is missing."""

    def value(name: str, *keys: str) -> float | None:
        node: Any = results.get(name, {})
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, (int, float)) else None

    in_process = value(CAIRN_MODEL, "latency", "p50_ms")
    on_p50, off_p50 = value(LOG_ON, "latency", "p50_ms"), value(LOG_OFF, "latency", "p50_ms")
    on_rps, off_rps = value(LOG_ON, "throughput_rps"), value(LOG_OFF, "throughput_rps")
    ml_p50, ml_rps = value(MLFLOW, "latency", "p50_ms"), value(MLFLOW, "throughput_rps")
    overhead = on_p50 - in_process if on_p50 is not None and in_process is not None else None
    cost = 1 - on_rps / off_rps if on_rps and off_rps else None
    return {
        "serving_overhead_p50_ms": overhead,
        "serving_overhead_p50_ms_log_off": off_p50 - in_process if off_p50 is not None and in_process is not None else None,
        "serving_overhead_target_ms": OVERHEAD_TARGET_MS,
        "serving_overhead_meets_target": None if overhead is None else overhead <= OVERHEAD_TARGET_MS,
        "prediction_logging_throughput_cost": cost,
        "prediction_logging_cost_target": LOGGING_COST_TARGET,
        "prediction_logging_meets_target": None if cost is None else cost < LOGGING_COST_TARGET,
        "mlflow_p50_over_cairn_p50": ml_p50 / on_p50 if ml_p50 and on_p50 else None,
        "cairn_rps_over_mlflow_rps": on_rps / ml_rps if on_rps and ml_rps else None,
    }


def _num(value: float | None, digits: int, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("  meets the target" if ok else "  MISSES the target")


def table(results: dict[str, dict[str, Any]], concurrency: int) -> str:
    header = ["", "p50 ms", "p99 ms", f"req/s ({concurrency} clients)", "GET /ping p50 ms"]
    lines = [header]
    for name, result in results.items():
        if result.get("status") != "ok":
            lines.append([name, result.get("status", "?"), "", "", ""])
            continue
        latency = result["latency"]
        rps = _num(result.get("throughput_rps"), 0)
        if name.startswith("in-process"):
            rps += " (1 thread)"
        ping = result.get("ping", {}).get("p50_ms")
        lines.append([name, _num(latency["p50_ms"], 3), _num(latency["p99_ms"], 3), rps, _num(ping, 3)])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = []
    for k, row in enumerate(lines):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        out.append("  ".join(cells))
        if k == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def derived_lines(d: dict[str, Any]) -> list[str]:
    overhead, cost = d["serving_overhead_p50_ms"], d["prediction_logging_throughput_cost"]
    return [
        f"serving overhead over in-process predict, p50 (target <= {OVERHEAD_TARGET_MS:g} ms): "
        f"{_num(overhead, 3, ' ms')}{_verdict(d['serving_overhead_meets_target'])}"
        f" (prediction log off: {_num(d['serving_overhead_p50_ms_log_off'], 3, ' ms')})",
        f"prediction logging cost of throughput (target < {LOGGING_COST_TARGET:.0%}): "
        f"{_num(None if cost is None else cost * 100, 1, ' %')}{_verdict(d['prediction_logging_meets_target'])}",
        f"vs mlflow models serve: mlflow p50 / cairn p50 = {_num(d['mlflow_p50_over_cairn_p50'], 2, 'x')}, "
        f"cairn req/s / mlflow req/s = {_num(d['cairn_rps_over_mlflow_rps'], 2, 'x')} (cairn with the prediction log on)",
    ]  # fmt: skip
