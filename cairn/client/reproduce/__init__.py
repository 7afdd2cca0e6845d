"""Re-running a run (or a model version's source run) from what Cairn recorded, and proving it came
out the same: ``cairn reproduce``, ``cairn runs branch`` and ``cairn.reproduce``.

The steps, one module each: ``plan`` (what the run recorded: commit, patch, requirements, data,
command, seed), ``data_check`` (re-digest each dataset from its source), ``code_state`` (a git
worktree at the commit with the patch applied), the shared ``cairn.client.environments`` builder
(a venv from the pinned requirements), ``launch`` (the recorded command, as a run prepared for
it), and ``verdict`` (identical, equivalent or different, with the reasons, from ``cairn diff``).
``session`` strings them together.

Why in ``client/``: a re-run needs the tracking store through ``Client`` (embedded or a server
alike), the user's git repository and a local Python environment — all on the machine that asks,
never on the server; ``serving/`` reuses the environment builder from here, one layer up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .code_state import CodeStateRefused
from .data_check import DataChanged
from .params import parse_param_assignments
from .session import (
    BRANCHED_FROM_TAG,
    REPRODUCES_TAG,
    VERDICT_TAG,
    Reproduction,
    RerunFailed,
    plan_rerun,
)
from .session import reproduce as _reproduce
from .verdict import DEFAULT_RTOL, DIFFERENT, EQUIVALENT, IDENTICAL, Verdict, judge

__all__ = [
    "BRANCHED_FROM_TAG",
    "DEFAULT_RTOL",
    "DIFFERENT",
    "EQUIVALENT",
    "IDENTICAL",
    "REPRODUCES_TAG",
    "VERDICT_TAG",
    "CodeStateRefused",
    "DataChanged",
    "Reproduction",
    "RerunFailed",
    "Verdict",
    "branch",
    "judge",
    "parse_param_assignments",
    "plan",
    "reproduce",
]


def reproduce(ref: str, *, env_manager: str = "venv", python: str | None = None,
              repo: str | Path | None = None, allow_data_change: bool = False, rtol: float = DEFAULT_RTOL,
              keep: bool = False, progress: Callable[[str], None] | None = None,
              client: Any = None) -> Reproduction:
    """Re-run the run ``ref`` names (a run id, ``models:/NAME/VERSION``, ``models:/NAME@alias`` or
    ``models:/NAME/Production``) from its recorded code, environment, data and seed, as a new run
    tagged ``cairn.reproduces``; returns the new run's id, the diff and the verdict.

    >>> result = cairn.reproduce("models:/churn/Production", env_manager="local")
    >>> result.verdict.verdict, result.run_id
    """
    with _client_for(client) as c:
        return _reproduce(c, ref, env_manager=env_manager, python=python, repo=_path(repo),
                          allow_data_change=allow_data_change, rtol=rtol, keep=keep, progress=progress)


def branch(ref: str, params: Mapping[str, Any], *, name: str | None = None, env_manager: str = "venv",
           python: str | None = None, repo: str | Path | None = None, allow_data_change: bool = False,
           keep: bool = False, progress: Callable[[str], None] | None = None, client: Any = None) -> Reproduction:
    """Re-run ``ref`` with some parameters changed (a speculative experiment), as a new run tagged
    ``cairn.branched_from``; ``params`` must appear on the recorded command line as ``--NAME VALUE``."""
    if not params:
        from cairn.errors import InvalidParameter

        raise InvalidParameter("A branch changes at least one parameter: give params={'name': value}.")
    with _client_for(client) as c:
        return _reproduce(c, ref, env_manager=env_manager, python=python, repo=_path(repo),
                          allow_data_change=allow_data_change, keep=keep, progress=progress,
                          params={k: str(v) for k, v in params.items()}, run_name=name)


def plan(ref: str, *, env_manager: str = "venv", params: Mapping[str, Any] | None = None,
         python: str | None = None, client: Any = None) -> dict[str, Any]:
    """The plan a re-run of ``ref`` would follow (commit, patch size, packages, datasets and their
    checks, command), as a JSON-ready document; runs nothing."""
    with _client_for(client) as c:
        return plan_rerun(c, ref, env_manager, {k: str(v) for k, v in (params or {}).items()}, python)


class _client_for:
    """The given client, or a new one on the tracking URI in force, closed afterwards."""

    def __init__(self, client: Any) -> None:
        self._given = client
        self._own: Any = None

    def __enter__(self) -> Any:
        if self._given is not None:
            return self._given
        from cairn.client.client import Client

        self._own = Client()
        return self._own

    def __exit__(self, *exc: object) -> None:
        if self._own is not None:
            self._own.close()


def _path(value: str | Path | None) -> Path | None:
    return Path(value) if value is not None else None
