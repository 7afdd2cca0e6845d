"""Building a virtual environment from requirement lines, once per distinct list.

``build_environment`` hashes the lines it will install, the interpreter's version and the install
mode into a key; ``<cache>/<key>`` is reused when it is complete (a marker file written last), else
built in a temporary sibling folder and renamed into place, so an interrupted build is never
taken for a finished one and two builds of the same key do not step on each other.

The venv is made without pip (``python -m venv --without-pip``, half a second) and filled by the
running interpreter's own pip through ``pip --python``; only when this interpreter has no pip
does the venv get one of its own. Cairn is not installed into it: ``BuiltEnvironment.env`` puts a
folder holding only a link to the running ``cairn`` package on ``PYTHONPATH``, so the environment
sees exactly the Cairn that built it and nothing else of the parent's ``site-packages``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cairn.errors import CairnError

from .requirements import CAIRN_DISTRIBUTION, Requirement

CACHE_ENV_VAR = "CAIRN_ENV_CACHE"
COMPLETE_MARKER = ".cairn-complete"
REQUIREMENTS_FILE = "requirements.txt"
PIP_TIMEOUT_S = 3600.0
PROBE_TIMEOUT_S = 60.0
PIP_TAIL_LINES = 12
KEY_LENGTH = 16
# pip's lines worth a progress line; the rest (download bars, cache notes) are noise here.
_PROGRESS_PREFIXES = ("Collecting ", "Installing collected packages", "Successfully installed")
_CAIRN_PACKAGE = Path(__file__).resolve().parents[2]

Progress = Callable[[str], None]


class EnvironmentBuildFailed(CairnError):
    """pip (or venv) failed; the message ends with the last lines it printed."""


@dataclass(frozen=True)
class BuiltEnvironment:
    """A ready virtual environment: its folder, its interpreter, its cache key, and whether this
    call found it already built (``reused``)."""

    path: Path
    python: Path
    key: str
    reused: bool
    cairn_path: Path

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process environment to run ``python`` with: the venv first on PATH, and the running
        Cairn importable (only it; ``PYTHONPATH`` from ``base`` is dropped, it names the parent's
        packages)."""
        env = dict(os.environ if base is None else base)
        env.pop("PYTHONHOME", None)
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = os.pathsep.join([str(self.python.parent), env.get("PATH", "")])
        env["PYTHONPATH"] = str(self.cairn_path)
        return env


def default_cache_dir() -> Path:
    """``CAIRN_ENV_CACHE``, else ``$XDG_CACHE_HOME/cairn/environments`` (``~/.cache/...``)."""
    given = os.environ.get(CACHE_ENV_VAR)
    if given:
        return Path(given).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "cairn" / "environments"


def interpreter_version(python: str | os.PathLike[str]) -> str:
    """``platform.python_version()`` of the interpreter at ``python``; ``CairnError`` when it does not run."""
    try:
        done = subprocess.run([os.fspath(python), "-c", "import platform; print(platform.python_version())"],
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CairnError(f"The Python interpreter '{python}' could not run: {exc}") from None
    if done.returncode != 0:
        raise CairnError(f"The Python interpreter '{python}' failed: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def build_environment(requirements: Sequence[Requirement], python: str | os.PathLike[str] | None = None,
                      cache_dir: Path | None = None, exact: bool = True,
                      progress: Progress | None = None) -> BuiltEnvironment:
    """A virtual environment holding ``requirements`` (Cairn's own distribution left out: the running
    Cairn is provided), built from ``python`` (default: this interpreter's base Python).

    ``exact`` installs the lines as a complete, pinned list (``pip install --no-deps``: a captured
    environment already lists every dependency); otherwise pip resolves their dependencies.
    ``progress`` gets one line per step. ``EnvironmentBuildFailed`` with pip's last lines when the
    install fails.
    """
    say = progress or (lambda line: None)
    interpreter = os.fspath(python) if python is not None else _base_python()
    version = interpreter_version(interpreter)
    lines = [r.line for r in requirements if r.key != CAIRN_DISTRIBUTION]
    key = environment_key(lines, version, exact)
    root = (cache_dir or default_cache_dir()).expanduser().absolute()
    target = root / key
    cairn_path = _cairn_link(root)
    if (target / COMPLETE_MARKER).is_file():
        say(f"environment {key}: reusing {target} ({len(lines)} packages, Python {version})")
        return BuiltEnvironment(target, _venv_python(target), key, True, cairn_path)
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        say(f"environment {key}: building in {target} ({len(lines)} packages, Python {version})")
        _create_venv(interpreter, building)
        (building / REQUIREMENTS_FILE).write_text("".join(f"{line}\n" for line in lines))
        if lines:
            _pip_install(building, exact, say)
        (building / COMPLETE_MARKER).write_text(key + "\n")
        try:
            building.rename(target)
        except OSError:
            if not (target / COMPLETE_MARKER).is_file():  # neither a finished twin nor ours: retry once
                shutil.rmtree(target, ignore_errors=True)
                building.rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    say(f"environment {key}: ready")
    # The venv's scripts hold the folder they were built in; built elsewhere and renamed, `python`
    # itself still works (it is a link), which is all Cairn runs.
    return BuiltEnvironment(target, _venv_python(target), key, False, cairn_path)


def environment_key(lines: Sequence[str], python_version: str, exact: bool) -> str:
    """The cache key: a hash of the sorted lines, the Python version and the install mode."""
    text = "\n".join([f"python {python_version}", f"exact {exact}", *sorted(line.strip() for line in lines)])
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def _base_python() -> str:
    # Inside a venv, sys.executable is that venv's python; a new venv is made from the base.
    base = getattr(sys, "_base_executable", None) or sys.executable
    return base if Path(base).exists() else sys.executable


def _venv_python(folder: Path) -> Path:
    windows = folder / "Scripts" / "python.exe"
    return windows if windows.exists() else folder / "bin" / "python"


def _has_pip(python: str) -> bool:
    done = subprocess.run([python, "-c", "import pip"], capture_output=True, timeout=PROBE_TIMEOUT_S, check=False,
                          stdin=subprocess.DEVNULL)
    return done.returncode == 0


def _create_venv(interpreter: str, folder: Path) -> None:
    with_pip = not _has_pip(sys.executable)
    command = [interpreter, "-m", "venv", *([] if with_pip else ["--without-pip"]), str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=PIP_TIMEOUT_S,
                          check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise EnvironmentBuildFailed(f"python -m venv failed: {_tail(done.stdout + done.stderr)}")


def _pip_install(folder: Path, exact: bool, say: Progress) -> None:
    venv_python = str(_venv_python(folder))
    if _has_pip(sys.executable):
        pip = [sys.executable, "-m", "pip", "--python", venv_python]
    else:
        pip = [venv_python, "-m", "pip"]
    # --no-compile: byte-compiling every module of numpy, scipy and the like is most of an install's
    # CPU time; Python compiles what a run imports, once, on first use.
    command = [*pip, "install", "--disable-pip-version-check", "--no-input", "--no-compile", "--progress-bar", "off",
               *(["--no-deps"] if exact else []), "-r", str(folder / REQUIREMENTS_FILE)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_USER", "PIP_TARGET", "PIP_PREFIX")}
    output: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", env=env, stdin=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            if line.startswith(_PROGRESS_PREFIXES):
                say("  pip: " + _shorten(line.strip()))
        try:
            code = process.wait(timeout=PIP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            raise EnvironmentBuildFailed(f"pip did not finish within {PIP_TIMEOUT_S:.0f} s") from None
    if code != 0:
        raise EnvironmentBuildFailed(f"pip could not install the requirements (exit {code}): {_tail(output)}")


def _cairn_link(root: Path) -> Path:
    """A folder holding only ``cairn`` -> the running package, for ``PYTHONPATH``."""
    digest = hashlib.sha256(str(_CAIRN_PACKAGE).encode()).hexdigest()[:KEY_LENGTH]
    folder = root / "cairn-source" / digest
    link = folder / "cairn"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(_CAIRN_PACKAGE, target_is_directory=True)
        except FileExistsError:
            pass  # another process made the same link
    return folder


def _tail(output: str | list[str]) -> str:
    lines = output.splitlines() if isinstance(output, str) else output
    useful = [line for line in lines if line.strip() and not line.startswith("WARNING: Location")]
    return " | ".join(useful[-PIP_TAIL_LINES:]) or "no output"


def _shorten(line: str, limit: int = 120) -> str:
    return line if len(line) <= limit else line[: limit - 3] + "..."
