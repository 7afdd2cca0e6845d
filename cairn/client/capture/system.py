"""The machine a run executes on: OS, kernel, CPU, memory, GPUs, host and user.

Linux facts come from /proc (no subprocess); elsewhere from ``platform`` and ``os.sysconf``.
GPUs are listed by ``nvidia-smi`` when it is on PATH, with a short timeout because a wedged
driver can make it hang.
"""

from __future__ import annotations

import getpass
import os
import platform
import shutil
import socket
import subprocess

from .captured import CapturedContext

NVIDIA_SMI_TIMEOUT_S = 2.0
_CPU_MODEL_KEYS = ("model name", "cpu model", "Processor", "cpu")  # x86, MIPS, older ARM, POWER


def capture_system() -> CapturedContext:
    """Tags describing the host: ``cairn.os``, ``cairn.cpu.*``, ``cairn.gpus``, ``mlflow.user``."""
    captured = CapturedContext(
        tags={
            "cairn.os": platform.platform(),
            "cairn.kernel": platform.release(),
            "cairn.cpu.model": cpu_model(),
            "cairn.hostname": socket.gethostname(),
        }
    )
    cpu_count = os.cpu_count()
    if cpu_count is not None:
        captured.tags["cairn.cpu.count"] = str(cpu_count)
    ram = ram_bytes()
    if ram is not None:
        captured.tags["cairn.ram.bytes"] = str(ram)
    else:
        captured.notes.append("total memory unknown on this platform")
    captured.tags["cairn.gpus"], gpu_note = list_gpus()
    if gpu_note:
        captured.notes.append(gpu_note)
    try:
        captured.tags["mlflow.user"] = getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment and no passwd entry
        captured.tags["mlflow.user"] = "unknown"
        captured.notes.append("user name unknown: no login name set and no passwd entry")
    return captured


def cpu_model() -> str:
    """The CPU's marketing name, e.g. "AMD EPYC 7763 64-Core Processor"."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() in _CPU_MODEL_KEYS and value.strip():
                    return value.strip()
    except OSError:
        pass  # not Linux
    return platform.processor() or platform.machine() or "unknown"


def ram_bytes() -> int | None:
    """Total physical memory in bytes, or None when the platform does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def list_gpus() -> tuple[str, str | None]:
    """``"name, memory; name, memory"`` from nvidia-smi, or ``"none"``; and a note if it failed."""
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return "none", None
    try:
        done = subprocess.run(
            [nvidia_smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
            timeout=NVIDIA_SMI_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "unknown", f"nvidia-smi did not answer within {NVIDIA_SMI_TIMEOUT_S:g} s"
    except OSError as exc:
        return "unknown", f"nvidia-smi could not run: {exc.strerror or exc}"
    if done.returncode != 0:
        return "none", f"nvidia-smi failed (exit {done.returncode}): no usable NVIDIA GPU"
    gpus = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return "; ".join(gpus) or "none", None
