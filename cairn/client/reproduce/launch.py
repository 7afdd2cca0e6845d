"""Running the recorded command in the rebuilt checkout, as the run Cairn prepared for it.

The child learns everything through its environment: ``CAIRN_TRACKING_URI`` (this client's
store, absolute), ``CAIRN_RUN_ID`` (the prepared run, which ``cairn.start_run`` resumes and
captures into), ``CAIRN_SEED`` (the recorded seed, which ``cairn.seed_everything`` takes) and
``PYTHONHASHSEED`` with it, and ``CAIRN_CAPTURE=all`` whatever the caller's setting: the verdict
compares the code, environment and seeds the re-run records with the original's, so a re-run that
records none would look different in all of them. Its output is passed on line by line, never to our stdout: that is
kept for the one ``--json`` document.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from cairn.client.capture import CAPTURE_ENV_VAR
from cairn.client.capture.seeds import SEED_ENV_VAR
from cairn.client.fluent import ENV_EXPERIMENT_NAME, ENV_RUN_ID
from cairn.client.tracking_uri import ENV_TRACKING_URI

RUN_TIMEOUT_S = 24 * 3600.0
OUTPUT_PREFIX = "  | "


def child_environment(base: Mapping[str, str], tracking_uri: str, run_id: str, seed: str | None) -> dict[str, str]:
    env = dict(base)
    env[ENV_TRACKING_URI] = tracking_uri
    env[ENV_RUN_ID] = run_id
    env.pop(ENV_EXPERIMENT_NAME, None)  # the prepared run already sits in the original's experiment
    env.pop(SEED_ENV_VAR, None)
    env[CAPTURE_ENV_VAR] = "all"
    if seed is not None:
        env[SEED_ENV_VAR] = seed
        env["PYTHONHASHSEED"] = seed
    return env


def run_command(command: list[str], cwd: Path, env: Mapping[str, str],
                output: Callable[[str], None] | None = None) -> int:
    """Run ``command`` in ``cwd`` and return its exit code; each line it prints goes to ``output``."""
    say = output or (lambda line: None)
    with subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", stdin=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                say(OUTPUT_PREFIX + line.rstrip("\n"))
            return process.wait(timeout=RUN_TIMEOUT_S)
        except BaseException:
            process.kill()
            raise


def existing_dir(root: Path, relative: str) -> Path:
    """``root / relative`` when it is a folder inside ``root``, else ``root`` (the folder a script ran
    in may have held only untracked files)."""
    candidate = (root / relative).resolve()
    inside = candidate == root.resolve() or root.resolve() in candidate.parents
    return candidate if inside and candidate.is_dir() else root

