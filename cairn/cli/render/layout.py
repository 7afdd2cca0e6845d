"""The few table and section shapes the ``cairn`` drawings share, so one command's table looks
like another's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli.render.format import MISSING


def table(*columns: str, no_wrap: Collection[str] = (), right: Collection[str] = ()) -> Table:
    """A borderless table with a bold header; long cells fold onto more lines. Columns named in
    ``no_wrap`` never wrap; those in ``right`` are right-aligned."""
    drawn = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        drawn.add_column(column, overflow="fold", no_wrap=column in no_wrap,
                         justify="right" if column in right else "left")
    return drawn


def grid(rows: Mapping[str, Any]) -> Table:
    """Dim keys beside their values, one pair a line; None shows as ``—``."""
    drawn = Table.grid(padding=(0, 2))
    drawn.add_column(style="dim", no_wrap=True)
    drawn.add_column(overflow="fold")
    for key, value in rows.items():
        drawn.add_row(key, value if isinstance(value, Text) else Text(str(value) if value is not None else MISSING))
    return drawn


def section(console: Console, title: str, body: Any) -> None:
    """A blank line, an underlined title, then ``body`` (or "none recorded" when it is None)."""
    console.print()
    console.print(Text(title, style="bold underline"))
    console.print(body if body is not None else Text("none recorded", style="dim"))


# The data commands (datasets, drift, diff) keep their own look: cells cut rather than folded, and
# each section followed by a blank line.
def data_table(*columns: str, title: str | None = None) -> Table:
    drawn = Table(box=None, title=title, title_justify="left", header_style="bold", pad_edge=False)
    for column in columns:
        drawn.add_column(column)
    return drawn


def data_section(console: Console, title: str, body: Any) -> None:
    console.print(Text(title, style="bold underline"))
    console.print(body)
    console.print()
