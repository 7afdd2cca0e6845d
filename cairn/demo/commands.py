"""The real ``cairn`` command, run the way a user would: in its own process, on the demo's store."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def cairn_command(*args: str) -> list[str]:
    """The argv of ``cairn ARGS...`` for this interpreter (no reliance on ``cairn`` being on PATH)."""
    return [sys.executable, "-m", "cairn.cli", *args]


def show(console: Console, args: Sequence[str], tracking_uri: str) -> bool:
    """Print ``$ cairn ARGS...``, run it on ``tracking_uri`` and print what it wrote, drawn at the
    console's width (its error line instead when it fails). True when it succeeded."""
    from rich.text import Text

    console.print(Text(f"\n$ cairn {shlex.join(args)}", style="bold"))
    env = dict(os.environ, CAIRN_TRACKING_URI=tracking_uri, COLUMNS=str(console.width))
    if console.is_terminal:
        env["FORCE_COLOR"] = "1"  # the output is captured, so the child cannot see the terminal
    done = subprocess.run(cairn_command(*args), env=env, capture_output=True, text=True, encoding="utf-8",
                          check=False)
    if done.stdout.strip():
        console.print(Text.from_ansi(done.stdout.rstrip("\n")), soft_wrap=True)
    if done.returncode != 0:
        console.print(Text(done.stderr.strip(), style="yellow"))
    return done.returncode == 0
