"""Rich rendering of the ``cairn webhooks`` documents: a new webhook and its secret, the list of
webhooks, and the delivery log.

Each function takes the dict ``--json`` would print and a Console; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from cairn.cli.render import layout
from cairn.cli.render.format import MISSING, fmt_time

_STATUS_STYLES = {"DELIVERED": "green", "FAILED": "bold red", "PENDING": "yellow", "SENDING": "yellow"}


def render_added(doc: Mapping[str, Any], console: Console) -> None:
    w = doc["webhook"]
    console.print(f"Added webhook {w['webhook_id']} → {w['url']} for {', '.join(w['events'])}.")
    console.print(Text(f"Signing secret (shown once): {doc['secret']}", style="bold"))
    console.print("Receivers check X-Cairn-Signature: sha256=<hex HMAC-SHA256 of the body with this secret>.")


def render_webhooks(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["webhooks"]:
        console.print("No webhooks. Add one with `cairn webhooks add URL`.")
        return
    table = layout.table("Id", "Name", "URL", "Events", "Status", "Private ok", "Added")
    for w in doc["webhooks"]:
        table.add_row(w["webhook_id"], w["name"], w["url"], ", ".join(w["events"]), w["status"],
                      "yes" if w["allow_private"] else "no", fmt_time(w["creation_timestamp"]))
    console.print(table)


def render_deliveries(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["deliveries"]:
        console.print("No deliveries.")
        return
    table = layout.table("#", "Event", "Status", "HTTP", "Attempts", "Queued", "Last try", "Next try", "Error")
    for d in doc["deliveries"]:
        table.add_row(str(d["delivery_id"]), d["event"], Text(d["status"], style=_STATUS_STYLES.get(d["status"], "")),
                      str(d["status_code"]) if d["status_code"] is not None else MISSING, str(d["attempts"]),
                      fmt_time(d["created_time"]), fmt_time(d["last_attempt_time"]),
                      fmt_time(d["next_attempt_time"]) if d["status"] == "PENDING" else "", d["error"] or "")
    console.print(table)
