"""System metrics: sampled off the training thread into ``system/...`` (MLflow's names) while a
run is active, one batch per sample, and never after the run ended."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import cairn
from cairn.client.system_metrics_sampling import parse_nvidia_smi
from cairn.errors import InvalidParameter

INTERVAL_S = "0.2"
EXPECTED = {
    "system/cpu_utilization_percentage", "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage", "system/disk_usage_percentage", "system/disk_usage_megabytes",
    "system/disk_available_megabytes", "system/network_receive_megabytes", "system/network_transmit_megabytes",
}


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cairn-system-metrics")]


def wait_for_samples(client: cairn.Client, run_id: str, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(client.get_metric_history(run_id, "system/cpu_utilization_percentage")) < count:
        assert time.monotonic() < deadline, "no system metrics arrived"
        time.sleep(0.05)  # polling for the sampler's writes, not ordering test steps


def test_system_metrics_are_sampled_while_the_run_is_active_and_stop_with_it(
        store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", INTERVAL_S)
    client = cairn.Client()
    with cairn.start_run(log_system_metrics=True) as run:
        assert len(monitor_threads()) == 1 and monitor_threads()[0].daemon
        cairn.log_metric("loss", 0.5)
        wait_for_samples(client, run.run_id, 3)
    ended = client.get_run(run.run_id)
    assert monitor_threads() == []
    assert EXPECTED <= set(ended.data.metrics)
    assert all(k.startswith("system/") for k in ended.data.metrics if k != "loss")
    histories = {key: client.get_metric_history(run.run_id, key) for key in EXPECTED}
    count = len(histories["system/cpu_utilization_percentage"])
    for key, points in histories.items():
        # One batch per sample: every name at every step, steps 0, 1, 2, ..., nothing after the end.
        assert [p.step for p in points] == list(range(count)), key
        assert all(p.timestamp <= ended.info.end_time for p in points), key
    by_step = {p.step: p.timestamp for p in histories["system/cpu_utilization_percentage"]}
    assert all(p.timestamp == by_step[p.step] for points in histories.values() for p in points)
    memory = histories["system/system_memory_usage_percentage"][-1].value
    assert 0 < memory <= 100
    time.sleep(3 * float(INTERVAL_S))
    assert len(client.get_metric_history(run.run_id, "system/cpu_utilization_percentage")) == count


def test_the_environment_turns_system_metrics_on(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", INTERVAL_S)
    client = cairn.Client()
    with cairn.start_run() as plain:
        time.sleep(2 * float(INTERVAL_S))
    assert not any(k.startswith("system/") for k in client.get_run(plain.run_id).data.metrics)
    monkeypatch.setenv("CAIRN_SYSTEM_METRICS", "1")
    with cairn.start_run() as sampled:
        wait_for_samples(client, sampled.run_id, 1)
    assert EXPECTED <= set(client.get_run(sampled.run_id).data.metrics)
    with cairn.start_run(log_system_metrics=False) as off:
        time.sleep(2 * float(INTERVAL_S))
    assert not any(k.startswith("system/") for k in client.get_run(off.run_id).data.metrics)


def test_a_failed_run_stops_its_sampler_too(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", INTERVAL_S)
    with pytest.raises(RuntimeError):
        with cairn.start_run(log_system_metrics=True) as run:
            raise RuntimeError("diverged")
    assert monitor_threads() == []
    assert cairn.get_run(run.run_id).info.status == "FAILED"


def test_an_interval_too_short_is_refused(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", "0.01")
    with pytest.raises(InvalidParameter, match="at least 0.1 s"):
        cairn.start_run(log_system_metrics=True)
    monkeypatch.setenv("CAIRN_SYSTEM_METRICS_INTERVAL", "often")
    with pytest.raises(InvalidParameter, match="not a number of seconds"):
        cairn.start_run(log_system_metrics=True)
    # Refused before any run started.
    assert cairn.active_run() is None and cairn.search_runs(output_format="list") == []
    assert monitor_threads() == []


def test_nvidia_smi_readings_get_mlflows_gpu_names() -> None:
    out = "0, 87, 4096, 16384, 150.5, 300.0\n1, 3, 10, 16384, [N/A], [N/A]\n"
    values = parse_nvidia_smi(out)
    mib = 1024 * 1024 / 1e6
    assert values == {
        "gpu_0_utilization_percentage": 87.0, "gpu_0_memory_usage_megabytes": pytest.approx(4096 * mib),
        "gpu_0_memory_usage_percentage": 25.0, "gpu_0_power_usage_watts": 150.5,
        "gpu_0_power_usage_percentage": pytest.approx(150.5 / 300 * 100),
        "gpu_1_utilization_percentage": 3.0, "gpu_1_memory_usage_megabytes": pytest.approx(10 * mib),
        "gpu_1_memory_usage_percentage": 0.1,
    }
