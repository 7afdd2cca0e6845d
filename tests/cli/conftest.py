"""The runner for ``cairn`` command tests: calls the real console script in a subprocess, several
at once (each call starts a Python process), and remembers each distinct call's result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CAIRN = Path(sys.executable).with_name("cairn")


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


class Cli:
    """Runs ``cairn ARGS...`` against one store; each distinct call runs once and is remembered."""

    def __init__(self, tracking_uri: str, cwd: Path, columns: int) -> None:
        self.script = CAIRN
        self.cwd = cwd
        self.env = {**os.environ, "CAIRN_TRACKING_URI": tracking_uri, "COLUMNS": str(columns), "NO_COLOR": "1"}
        self.env.pop("CAIRN_EXPERIMENT_NAME", None)
        self._results: dict[tuple[str, ...], Result] = {}

    def prefetch(self, calls: Iterable[tuple[str, ...]]) -> None:
        """Run many calls concurrently: each one pays for a Python start-up, so overlap them."""
        todo = [c for c in dict.fromkeys(calls) if c not in self._results]
        with ThreadPoolExecutor(max_workers=4) as pool:
            for result in pool.map(self._run, todo):
                self._results[result.args] = result

    def __call__(self, *args: str) -> Result:
        if args not in self._results:
            self._results[args] = self._run(args)
        return self._results[args]

    def _run(self, args: tuple[str, ...]) -> Result:
        done = subprocess.run([str(self.script), *args], capture_output=True, text=True, encoding="utf-8",
                              env=self.env, cwd=self.cwd, timeout=120)
        return Result(args, done.returncode, done.stdout, done.stderr)


class InProcess:
    """``cairn ARGS...`` run in this process, through ``cairn.cli.main``: a Python start per call
    would cost a second each (each test module checks the console script itself once)."""

    def __init__(self, tracking_uri: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.tracking_uri = tracking_uri
        self.capsys = capsys

    def prefetch(self, calls: Iterable[tuple[str, ...]]) -> None:
        """Nothing to overlap in-process; kept so a test reads the same with either runner."""

    def __call__(self, *args: str) -> Result:
        from cairn import cli

        code = cli.main(["--tracking-uri", self.tracking_uri, *args])
        out, err = self.capsys.readouterr()
        return Result(args, code, out, err)


@pytest.fixture
def in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Path, int], InProcess]:
    """``in_process(tracking_uri, cwd, columns)``: an in-process runner, output as on a
    ``columns``-wide terminal without colour."""

    def make(tracking_uri: str, cwd: Path, columns: int) -> InProcess:
        monkeypatch.setenv("COLUMNS", str(columns))
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.chdir(cwd)
        return InProcess(tracking_uri, capsys)

    return make


@pytest.fixture(scope="session")
def make_cli() -> Callable[[str, Path, int], Cli]:
    """``make_cli(tracking_uri, cwd, columns)``: a runner for the installed ``cairn`` script."""
    assert CAIRN.exists(), f"console script missing at {CAIRN}; install the project (pip install -e .)"
    return Cli
