"""Reproducibility capture for a run: code (git), environment (packages), system and command line.

Each part is a function that returns tags, artifacts and notes and changes nothing;
``capture_context`` runs the selected parts concurrently and turns a failure inside one part into
a note, so capture never stops a run from starting. Standard library only: git is driven through
its command line (no GitPython to install), packages are read with ``importlib.metadata``.

    ctx = capture_context(CaptureOptions.from_env())
    ctx.tags["mlflow.source.git.commit"], ctx.artifacts.get("code/diff.patch"), ctx.notes
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from cairn.errors import InvalidParameter

from . import environment, git, system
from .captured import CapturedContext

CAPTURE_ENV_VAR = "CAIRN_CAPTURE"
PARTS = ("git", "environment", "system", "command")
TAG_VALUE_MAX = 5000
SOURCE_CWD_TAG = "cairn.source.cwd"
SOURCE_MODULE_TAG = "cairn.source.module"
_TRUNCATED = "...[truncated]"

__all__ = ["PARTS", "CaptureOptions", "CapturedContext", "capture_context"]


@dataclass(frozen=True)
class CaptureOptions:
    """Which parts of the run context to capture, and how much of the uncommitted diff to keep.

    ``diff_size_cap`` bounds the whole ``code/diff.patch`` artifact; ``file_size_cap`` bounds each
    file in it (a changed tracked file's diff, or an untracked file's content). Both in bytes.
    """

    git: bool = True
    environment: bool = True
    system: bool = True
    command: bool = True
    diff_size_cap: int = 1_000_000
    file_size_cap: int = 256 * 1024

    def __post_init__(self) -> None:
        for name in ("diff_size_cap", "file_size_cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidParameter(
                    f"{name} must be a non-negative number of bytes, got {value!r}"
                )

    @classmethod
    def from_env(cls) -> CaptureOptions:
        """Read the parts to capture from ``CAIRN_CAPTURE``.

        Syntax (case and spaces ignored):

        - unset, empty or ``all``: capture every part;
        - ``none``: capture nothing;
        - ``git,system``: capture only the listed parts;
        - ``-environment`` or ``-environment,-system``: capture every part except those listed.

        Parts are ``git``, ``environment``, ``system`` and ``command``. Raises ``InvalidParameter``
        for an unknown part, or when one list mixes parts to keep with ``-parts`` to skip.
        """
        raw = os.environ.get(CAPTURE_ENV_VAR, "").strip().lower()
        if raw in ("", "all"):
            return cls()
        if raw == "none":
            return cls(**{part: False for part in PARTS})
        items = [item.strip() for item in raw.split(",") if item.strip()]
        skipped = [item[1:].strip() for item in items if item.startswith("-")]
        if skipped and len(skipped) != len(items):
            raise InvalidParameter(
                f"{CAPTURE_ENV_VAR}={raw!r} mixes parts to capture with -parts to skip; "
                "use either a list like 'git,system' or a list like '-environment,-system'"
            )
        unknown = sorted(set(skipped or items) - set(PARTS))
        if unknown:
            raise InvalidParameter(
                f"{CAPTURE_ENV_VAR} names unknown part(s) {', '.join(unknown)}; "
                f"known parts are {', '.join(PARTS)} (or 'all', 'none')"
            )
        if skipped:
            return cls(**{part: False for part in skipped})
        return cls(**{part: part in items for part in PARTS})


def capture_context(
    options: CaptureOptions, cwd: Path | None = None, argv: list[str] | None = None
) -> CapturedContext:
    """Capture the selected parts of the run context for the process running in ``cwd``.

    ``cwd`` defaults to the current directory and ``argv`` to ``sys.argv``. Never raises for
    what it finds: outside a git repository, without git, or when a part fails, the reason is
    added to ``notes`` and the other parts are still captured. Every tag value is a string of
    at most 5000 characters.
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    argv = list(sys.argv if argv is None else argv)
    jobs: list[tuple[str, Callable[[], CapturedContext]]] = []
    if options.environment:
        jobs.append(("environment", environment.capture_environment))
    if options.system:
        jobs.append(("system", system.capture_system))
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="cairn-capture") as pool:
        # The slow parts start first; locating the repository overlaps with them.
        futures = [pool.submit(_isolated, name, job) for name, job in jobs]
        repo = git.find_repo(cwd) if options.git or options.command else None
        if options.git and repo is not None:
            job = partial(git.capture_git, repo, options.diff_size_cap, options.file_size_cap)
            futures.insert(0, pool.submit(_isolated, "git", job))
        if options.command:
            root = repo.root if repo is not None else None
            job = partial(capture_command, argv, cwd, root)
            futures.append(pool.submit(_isolated, "command", job))
        parts = [future.result() for future in futures]

    captured = CapturedContext()
    for part in parts:
        captured.tags.update(part.tags)
        captured.artifacts.update(part.artifacts)
        captured.notes.extend(part.notes)
    captured.tags = {key: _fit(value) for key, value in captured.tags.items()}
    return captured


def capture_command(argv: list[str], cwd: Path, git_root: Path | None,
                    interpreter_argv: list[str] | None = None) -> CapturedContext:
    """Tags for the command line: entry-point file (relative to the git root when inside it), the
    working directory (relative to the git root: ``cairn reproduce`` re-runs the command there) and,
    for ``python -m``, the module run (``interpreter_argv`` defaults to ``sys.orig_argv``)."""
    captured = CapturedContext(
        tags={"mlflow.source.type": "LOCAL", "cairn.command": join_command(argv, TAG_VALUE_MAX)}
    )
    real_cwd = Path(os.path.realpath(cwd))
    if git_root is not None and real_cwd.is_relative_to(git_root):
        captured.tags[SOURCE_CWD_TAG] = real_cwd.relative_to(git_root).as_posix()
    module = run_module(list(sys.orig_argv if interpreter_argv is None else interpreter_argv))
    if module is not None:
        captured.tags[SOURCE_MODULE_TAG] = module
    entry = argv[0] if argv else ""
    if entry in ("", "-", "-c"):
        captured.notes.append("no entry-point file: the code was given inline or interactively")
        return captured
    path = Path(os.path.realpath(cwd / entry))
    if git_root is not None and path.is_relative_to(git_root):
        captured.tags["mlflow.source.name"] = path.relative_to(git_root).as_posix()
    else:
        captured.tags["mlflow.source.name"] = entry
    return captured


def run_module(interpreter_argv: list[str]) -> str | None:
    """The module of ``python [options] -m MODULE ...``, or None when a file or ``-c`` was run."""
    words = iter(interpreter_argv[1:])
    for word in words:
        if word == "-m":
            return next(words, None)
        if word.startswith("-m") and len(word) > 2:
            return word[2:]
        if word in ("-c", "-") or not word.startswith("-"):
            return None
        if word in ("-W", "-X"):
            next(words, None)  # the option's value
    return None


def join_command(argv: list[str], limit: int) -> str:
    """``shlex.join(argv)``, cut at a whole argument and marked when longer than ``limit``."""
    joined = shlex.join(argv)
    if len(joined) <= limit:
        return joined
    room = limit - len(_TRUNCATED) - 1
    words: list[str] = []
    used = -1
    for arg in argv:
        quoted = shlex.quote(arg)
        if used + 1 + len(quoted) > room:
            break
        words.append(quoted)
        used += 1 + len(quoted)
    return " ".join([*words, _TRUNCATED])


def _isolated(part: str, capture: Callable[[], CapturedContext]) -> CapturedContext:
    # Capture runs at start_run: whatever goes wrong in one part is reported, never raised,
    # so a broken package's metadata or an odd /proc cannot stop training from starting.
    try:
        return capture()
    except Exception as exc:  # noqa: BLE001
        return CapturedContext(notes=[f"{part} capture failed: {type(exc).__name__}: {exc}"])


def _fit(value: str) -> str:
    if len(value) <= TAG_VALUE_MAX:
        return value
    return value[: TAG_VALUE_MAX - len(_TRUNCATED)] + _TRUNCATED
