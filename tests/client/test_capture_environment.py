"""Environment, system and command capture, and choosing the parts with CAIRN_CAPTURE."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import socket
import sys
from pathlib import Path

import numpy
import pytest

from cairn.client.capture import CaptureOptions, CapturedContext, capture_context
from cairn.errors import InvalidParameter

pytestmark = pytest.mark.store_independent(reason="capture of this interpreter, host and command line; no store")

REQUIREMENTS = "environment/requirements.txt"
ONLY = {part: False for part in ("git", "environment", "system", "command")}
PART_KEYS = {
    "git": ("mlflow.source.git.", "cairn.git.", "code/"),
    "environment": ("cairn.python.", "cairn.env.", "environment/"),
    "system": ("cairn.os", "cairn.kernel", "cairn.cpu.", "cairn.ram.", "cairn.gpus",
               "cairn.hostname", "mlflow.user"),  # fmt: skip
    "command": ("mlflow.source.name", "mlflow.source.type", "cairn.command"),
}


def capture_only(part: str, tmp_path: Path, argv: list[str] | None = None) -> CapturedContext:
    options = CaptureOptions(**{**ONLY, part: True})
    return capture_context(options, cwd=tmp_path, argv=argv or ["train.py"])


def requirement_lines(captured: CapturedContext) -> list[str]:
    return captured.artifacts[REQUIREMENTS].decode().splitlines()


def keys_of(part: str, captured: CapturedContext) -> list[str]:
    keys = [*captured.tags, *captured.artifacts]
    return [key for key in keys if key.startswith(PART_KEYS[part])]


def test_requirements_pin_installed_distributions_to_their_exact_versions(tmp_path: Path) -> None:
    lines = requirement_lines(capture_only("environment", tmp_path))

    assert f"numpy=={numpy.__version__}" in lines
    assert f"pytest=={pytest.__version__}" in lines
    assert f"mlflow=={importlib.metadata.version('mlflow')}" in lines


def test_requirements_are_sorted_case_insensitively_without_duplicates(tmp_path: Path) -> None:
    lines = requirement_lines(capture_only("environment", tmp_path))
    names = [line.partition("==")[0] for line in lines]

    assert all("==" in line for line in lines)
    assert names == sorted(names, key=str.lower)
    assert len({name.lower().replace("_", "-") for name in names}) == len(names)


def test_environment_tags_record_python_and_the_package_count(tmp_path: Path) -> None:
    captured = capture_only("environment", tmp_path)

    assert captured.tags == {
        "cairn.python.version": platform.python_version(),
        "cairn.python.implementation": platform.python_implementation(),
        "cairn.env.packages": str(len(requirement_lines(captured))),
    }


def test_system_tags_describe_this_machine(tmp_path: Path) -> None:
    tags = capture_only("system", tmp_path).tags

    assert tags["cairn.os"] == platform.platform()
    assert tags["cairn.kernel"] == platform.release()
    assert tags["cairn.cpu.model"]
    assert tags["cairn.cpu.count"] == str(os.cpu_count())
    assert int(tags["cairn.ram.bytes"]) > 0
    assert tags["cairn.hostname"] == socket.gethostname()
    assert tags["mlflow.user"]


def test_without_nvidia_smi_gpus_are_recorded_as_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    assert capture_only("system", tmp_path).tags["cairn.gpus"] == "none"


def test_gpus_are_listed_from_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The GPU is outside our control: a stand-in nvidia-smi answers like the real one.
    fake = tmp_path / "nvidia-smi"
    answer = "NVIDIA A100-SXM4-40GB, 40960 MiB\\nNVIDIA T4, 15360 MiB\\n"
    fake.write_text(f"#!/bin/sh\nprintf '{answer}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    tags = capture_only("system", tmp_path).tags

    assert tags["cairn.gpus"] == "NVIDIA A100-SXM4-40GB, 40960 MiB; NVIDIA T4, 15360 MiB"


def test_command_is_recorded_shell_quoted(tmp_path: Path) -> None:
    argv = ["train.py", "--name", "two words", "--note", "it's"]

    tags = capture_only("command", tmp_path, argv).tags

    assert shlex.split(tags["cairn.command"]) == argv
    assert tags["mlflow.source.name"] == "train.py"


def test_long_command_is_cut_at_a_whole_argument_within_the_tag_limit(tmp_path: Path) -> None:
    argv = ["train.py", *(f"--option-{index}=value" for index in range(1000))]

    command = capture_only("command", tmp_path, argv).tags["cairn.command"]

    assert len(command) <= 5000
    assert command.endswith(" ...[truncated]")
    words = shlex.split(command)[:-1]
    assert words == argv[: len(words)]


def test_every_tag_value_is_a_string_within_the_limit(tmp_path: Path) -> None:
    captured = capture_context(CaptureOptions(), cwd=tmp_path, argv=["x" * 9000])

    assert all(isinstance(value, str) and len(value) <= 5000 for value in captured.tags.values())


def test_a_failing_part_becomes_a_note_and_the_others_are_captured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_distributions() -> list[importlib.metadata.Distribution]:
        raise RuntimeError("metadata unreadable")

    monkeypatch.setattr(importlib.metadata, "distributions", broken_distributions)

    captured = capture_context(CaptureOptions(git=False), cwd=tmp_path, argv=["train.py"])

    assert "environment capture failed: RuntimeError: metadata unreadable" in captured.notes
    assert REQUIREMENTS not in captured.artifacts
    assert "cairn.os" in captured.tags
    assert "cairn.command" in captured.tags


@pytest.mark.parametrize("part", sorted(PART_KEYS))
def test_a_part_switched_off_produces_none_of_its_tags_or_artifacts(
    part: str, tmp_path: Path
) -> None:
    everything = capture_context(CaptureOptions(), cwd=tmp_path, argv=["train.py"])
    without = capture_context(CaptureOptions(**{part: False}), cwd=tmp_path, argv=["train.py"])

    assert keys_of(part, everything)
    assert keys_of(part, without) == []
    others = [other for other in PART_KEYS if other != part]
    assert all(keys_of(other, without) == keys_of(other, everything) for other in others)


@pytest.mark.parametrize(
    ("value", "enabled"),
    [
        ("", {"git", "environment", "system", "command"}),
        ("all", {"git", "environment", "system", "command"}),
        ("none", set()),
        ("git,system", {"git", "system"}),
        (" Git , SYSTEM ", {"git", "system"}),
        ("-environment", {"git", "system", "command"}),
        ("-environment,-command", {"git", "system"}),
    ],
)
def test_cairn_capture_selects_the_parts(
    value: str, enabled: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_CAPTURE", value)

    options = CaptureOptions.from_env()

    assert {part for part in PART_KEYS if getattr(options, part)} == enabled


def test_cairn_capture_unset_captures_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAIRN_CAPTURE", raising=False)

    assert CaptureOptions.from_env() == CaptureOptions()


@pytest.mark.parametrize("value", ["gpu", "git,-system", "none,git"])
def test_cairn_capture_refuses_unknown_or_mixed_parts(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_CAPTURE", value)

    with pytest.raises(InvalidParameter, match="CAIRN_CAPTURE"):
        CaptureOptions.from_env()


def test_negative_size_cap_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="diff_size_cap"):
        CaptureOptions(diff_size_cap=-1)


def test_capture_defaults_to_the_process_arguments(tmp_path: Path) -> None:
    options = CaptureOptions(**{**ONLY, "command": True})

    tags = capture_context(options, cwd=tmp_path).tags

    assert tags["cairn.command"] == shlex.join(sys.argv)
