"""``cairn runs media`` drawn: one row per medium, grouped by key and ordered by step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from cairn.cli.render.format import MISSING, fmt_time


def render_media(doc: Mapping[str, Any], console: Console) -> None:
    media = doc["media"]
    if not media:
        which = f" under key '{doc['key']}'" if doc.get("key") else ""
        console.print(f"Run {doc['run_id']} has no images, figures, tables or texts{which}.")
        return
    table = Table(box=None, header_style="bold")
    for name in ("Key", "Kind", "Step", "Logged", "Path"):
        table.add_column(name, justify="right" if name == "Step" else "left",
                         overflow="fold" if name == "Path" else "ellipsis")
    for item in media:
        step = MISSING if item["step"] is None else str(item["step"])
        table.add_row(item["key"], item["kind"], step, fmt_time(item["timestamp"]), item["path"])
    console.print(table)
    console.print(f"{len(media)} media under {len(doc['keys'])} key(s). "
                  f"Download one: cairn artifacts download {doc['run_id'][:8]} PATH")
