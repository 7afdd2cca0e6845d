"""One sample of how hard the machine works, under MLflow's system-metric names (without the
``system/`` prefix the monitor adds): CPU and memory, the root disk, network I/O since the
monitor started, and each NVIDIA GPU's utilisation, memory and power.

CPU, memory, disk and network come from psutil (the ``system`` extra); GPUs from NVML when
``pynvml`` imports and finds a driver, else from ``nvidia-smi`` when it is on the PATH, else
none. Every source is optional: a missing one leaves its names out of the sample.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import Any

_log = logging.getLogger(__name__)

MB = 1e6
NVIDIA_SMI_TIMEOUT_S = 5
_SMI_QUERY = "index,utilization.gpu,memory.used,memory.total,power.draw,power.limit"


class Sampler:
    """Takes samples; built once per monitor (it remembers the network counters at start and
    primes psutil's CPU counter, whose first reading is meaningless)."""

    def __init__(self) -> None:
        try:
            import psutil
        except ImportError:
            _log.warning("System metrics need psutil for CPU, memory, disk and network: "
                         "pip install 'cairn-tracker[system]'.")
            psutil = None
        self._psutil: Any = psutil
        self._net_start = None
        if psutil is not None:
            psutil.cpu_percent()
            counters = psutil.net_io_counters()
            self._net_start = (counters.bytes_recv, counters.bytes_sent) if counters else None
        self._gpus = _gpu_source()

    def sample(self) -> dict[str, float]:
        values: dict[str, float] = {}
        ps = self._psutil
        if ps is not None:
            values["cpu_utilization_percentage"] = float(ps.cpu_percent())
            memory = ps.virtual_memory()
            values["system_memory_usage_megabytes"] = memory.used / MB
            values["system_memory_usage_percentage"] = memory.used / memory.total * 100
            disk = ps.disk_usage(os.sep)
            values["disk_usage_percentage"] = float(disk.percent)
            values["disk_usage_megabytes"] = disk.used / MB
            values["disk_available_megabytes"] = disk.free / MB
            counters = ps.net_io_counters()
            if counters is not None and self._net_start is not None:
                values["network_receive_megabytes"] = (counters.bytes_recv - self._net_start[0]) / MB
                values["network_transmit_megabytes"] = (counters.bytes_sent - self._net_start[1]) / MB
        if self._gpus is not None:
            try:
                values.update(self._gpus())
            except Exception as exc:  # a GPU that went away must not stop the CPU samples
                _log.warning("GPU metrics unavailable from now on: %s", exc)
                self._gpus = None
        return values


def gpu_values(index: int, utilization: float | None, used_mb: float | None, total_mb: float | None,
               power_w: float | None, power_limit_w: float | None) -> dict[str, float]:
    """MLflow's names for one GPU's reading; unknown readings are left out."""
    out: dict[str, float] = {}
    if utilization is not None:
        out[f"gpu_{index}_utilization_percentage"] = utilization
    if used_mb is not None:
        out[f"gpu_{index}_memory_usage_megabytes"] = used_mb
        if total_mb:
            out[f"gpu_{index}_memory_usage_percentage"] = round(used_mb / total_mb * 100, 1)
    if power_w is not None:
        out[f"gpu_{index}_power_usage_watts"] = power_w
        if power_limit_w:
            out[f"gpu_{index}_power_usage_percentage"] = power_w / power_limit_w * 100
    return out


def parse_nvidia_smi(text: str) -> dict[str, float]:
    """``nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw,power.limit
    --format=csv,noheader,nounits`` output (memory in MiB) as metric values."""
    values: dict[str, float] = {}
    for line in text.strip().splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 6 or not cells[0].isdigit():
            continue
        util, used, total, power, limit = (_number(c) for c in cells[1:])
        mib = 1024 * 1024 / MB
        values.update(gpu_values(int(cells[0]), util, used * mib if used is not None else None,
                                 total * mib if total is not None else None, power, limit))
    return values


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None


def _gpu_source() -> Any:
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        return lambda: _nvml_sample(pynvml, handles)
    except Exception:  # no pynvml, or no driver behind it
        pass
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None

    def from_smi() -> dict[str, float]:
        done = subprocess.run([smi, f"--query-gpu={_SMI_QUERY}", "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=True)
        return parse_nvidia_smi(done.stdout)

    try:
        from_smi()
    except Exception:
        return None
    return from_smi


def _nvml_sample(pynvml: Any, handles: list[Any]) -> dict[str, float]:
    values: dict[str, float] = {}
    for i, handle in enumerate(handles):
        memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
        utilization = pynvml.nvmlDeviceGetUtilizationRates(handle)
        try:
            power = pynvml.nvmlDeviceGetPowerUsage(handle) / 1000
            limit = pynvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000
        except Exception:
            power = limit = None
        values.update(gpu_values(i, float(utilization.gpu), memory.used / MB, memory.total / MB, power, limit))
    return values
