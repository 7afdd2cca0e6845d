"""Options and arguments that several ``cairn`` commands share, each defined once.

A command declares ``as_json: JsonOption = False`` rather than spelling the option again, so the
flag, its short form and its help read the same in every ``--help``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.lookup import MIN_ID_PREFIX, time_ms
from cairn.errors import InvalidParameter

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

JsonOption = Annotated[bool, typer.Option(
    "--json", help="Write one compact JSON document to stdout.")]
ExperimentOption = Annotated[str | None, typer.Option(
    "--experiment", "-e", metavar="NAME_OR_ID", help="Experiment name or id (default: every experiment).")]
RunArgument = Annotated[str, typer.Argument(
    metavar="RUN", help=f"Run id, a unique id prefix ({MIN_ID_PREFIX}+ characters), or a run name.",
    show_default=False)]

# the registry's words: a model by name, a version by number, who acts and why (the audit trail)
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Registered model name.", show_default=False)]
VersionArgument = Annotated[int, typer.Argument(metavar="VERSION", help="Version number.", show_default=False)]
UserOption = Annotated[str | None, typer.Option(
    "--user", "-u", envvar="CAIRN_USER", metavar="NAME",
    help="Who is acting, for the audit trail (default: CAIRN_USER, else the OS user; recorded as unverified; "
         "a server with --auth records the signed-in user instead).")]
ReasonOption = Annotated[str | None, typer.Option("--reason", "-r", help="Why, for the audit trail.")]

# a window of time over the prediction log
SinceOption = Annotated[str | None, typer.Option(
    "--since", metavar="TIME", help="From TIME: ISO 8601 (2024-05-01T14:30), epoch ms, or ago (30m, 2h, 7d).")]
UntilOption = Annotated[str | None, typer.Option(
    "--until", metavar="TIME", help="Before TIME: ISO 8601, epoch ms, or ago (30m, 2h, 7d).")]


def time_window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """``--since`` and ``--until`` as epoch ms; ``InvalidParameter`` when either is not a time or
    they are the wrong way round."""
    start = _window_end(since, "--since") if since is not None else None
    end = _window_end(until, "--until") if until is not None else None
    if start is not None and end is not None and start >= end:
        raise InvalidParameter("--since must be earlier than --until.")
    return start, end


def _window_end(text: str, label: str) -> int:
    moment = time_ms(text)
    if moment is None:
        raise InvalidParameter(f"{label} {text!r} is not a time; use ISO 8601 like 2024-05-01T14:30, epoch ms, "
                               "or an age like 30m, 2h or 7d.")
    return moment
