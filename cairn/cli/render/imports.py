"""Rich rendering of the ``cairn import`` summary: one row per kind, then each failure and note."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from cairn.cli.render import layout


def render_summary(doc: Mapping[str, Any], console: Console) -> None:
    console.print(f"Imported {doc['source']} into {doc['target']}.")
    table = layout.table("Kind", "Copied", "Already there", "Failed", right=("Copied", "Already there", "Failed"))
    for row in doc["kinds"]:
        failed = Text(str(row["failed"]), style="bold red" if row["failed"] else "")
        table.add_row(row["kind"], f"{row['copied']:,}", f"{row['already_there']:,}", failed)
    console.print(table)
    for failure in doc["failures"]:
        console.print(Text(f"failed  {failure['kind']} {failure['what']}: {failure['reason']}", style="red"))
    for note in doc["notes"]:
        console.print(f"note    {note['kind']} {note['what']}: {note['note']}")
