"""The process that supervises ``cairn server --workers N``: uvicorn's supervisor and nothing else.

``run.serve`` opens (creates, migrates) the store and checks the artifact destination first, which
imports SQLAlchemy and most of Cairn. A supervisor that kept them would hold ~60 MB that no request
ever uses, since every worker is a fresh process that imports what it needs. So once the checks
pass, ``serve`` replaces its own process image with this module (``os.execv``: same pid, same
signals, same environment, which carries the settings to the workers), and the supervisor starts
the workers with only uvicorn loaded (~25 MB).

    python -m cairn.server.supervisor '<uvicorn.run keyword arguments as JSON>'
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence


def command(options: dict[str, object]) -> list[str]:
    """The argv that execs this module with ``options`` for ``uvicorn.run``."""
    return [sys.executable, "-m", "cairn.server.supervisor", json.dumps(options)]


def run(options: dict[str, object]) -> None:
    """``uvicorn.run`` with ``options`` (the app's import string under ``app``)."""
    import uvicorn

    options = dict(options)
    uvicorn.run(options.pop("app"), **options)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    run(json.loads(args[0]))


if __name__ == "__main__":
    main()
