"""The last part of ``make demo``: "can we reproduce the model in production?" answered by
``cairn reproduce``: the production version's run is re-run from its recorded commit and patch,
data and seed, and compared with the original.

The demo re-runs in its own interpreter (``--env-manager local``): by default ``cairn reproduce``
first builds a virtual environment from the run's recorded requirements (cached for the next
time), which for the demo's hundred-odd packages takes minutes, not seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.demo.commands import show
from cairn.demo.experiment import MODEL_NAME

if TYPE_CHECKING:
    from rich.console import Console


def run_reproduce_demo(console: Console, tracking_uri: str) -> bool:
    """Reproduce the Production version's run and print the diff and the verdict; True on success."""
    console.print("The run behind the Production version is re-run from its recorded commit, uncommitted "
                  "changes, data and seed, as a new run; then both are compared.\n"
                  "[dim]--env-manager local: the re-run uses this interpreter. Without it Cairn builds a venv "
                  "from the run's pinned requirements first (minutes the first time, cached after).[/]")
    done = show(console, ["reproduce", f"models:/{MODEL_NAME}/Production", "--env-manager", "local"], tracking_uri)
    if not done:
        console.print("[dim]Reproduce needs the runs' git commit: run the demo from a git checkout of Cairn.[/]")
    return done
