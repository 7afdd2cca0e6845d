"""``cairn artifacts list`` and ``download`` drawn: files and sizes, and where a download went."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli.render.format import fmt_bytes


def render_artifacts(doc: Mapping[str, Any], console: Console) -> None:
    files = doc["files"]
    if not files:
        where = f" under '{doc['path']}'" if doc["path"] else ""
        console.print(f"No artifacts{where}.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("Path", overflow="fold")
    table.add_column("Size", justify="right")
    for f in files:
        table.add_row(f["path"] + ("/" if f["is_dir"] else ""), "" if f["is_dir"] else fmt_bytes(f["size"]))
    console.print(table)


def render_download(doc: Mapping[str, Any], console: Console) -> None:
    console.print(Text(doc["local_path"]), soft_wrap=True)
