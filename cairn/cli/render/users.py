"""Rich rendering of the ``cairn users``, ``cairn tokens`` and ``cairn permissions`` documents.

Each function takes the dict ``--json`` would print and a Console; nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from cairn.cli.render import layout
from cairn.cli.render.format import MISSING, fmt_time


def _kind(u: Mapping[str, Any]) -> str:
    return "service account" if u["is_service"] else ("admin" if u["is_admin"] else "user")


def render_user(doc: Mapping[str, Any], console: Console) -> None:
    u = doc["user"]
    console.print(f"{u['username']} ({_kind(u)}, id {u['id']})")
    render_grants({"permissions": u["permissions"]}, console)


def render_users(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["users"]:
        console.print("No users. Create the first admin with `cairn users create-admin NAME --password-stdin`.")
        return
    table = layout.table("Id", "User", "Kind")
    for u in doc["users"]:
        table.add_row(str(u["id"]), u["username"], _kind(u))
    console.print(table)


def render_grants(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["permissions"]:
        console.print("No permissions granted.")
        return
    table = layout.table("Resource", "Name", "Permission")
    for g in doc["permissions"]:
        table.add_row(g["resource_type"].replace("_", " "), g["resource"], g["permission"])
    console.print(table)


def render_created_token(doc: Mapping[str, Any], console: Console) -> None:
    t = doc["token"]
    console.print(f"Created token {t['token_id']} '{t['name']}' for {t['username']}: scopes {', '.join(t['scopes'])}, "
                  f"expires {fmt_time(t['expires'])}.")
    console.print(Text(f"Secret (shown once, store it now): {doc['secret']}", style="bold"))
    console.print("Use it as MLFLOW_TRACKING_TOKEN (or CAIRN_TRACKING_TOKEN).")


def render_tokens(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["tokens"]:
        console.print("No tokens. Mint one with `cairn tokens create --name ci --scope read --expires 90d`.")
        return
    table = layout.table("Id", "User", "Name", "Scopes", "Created", "Expires", "Last used", "Revoked")
    for t in doc["tokens"]:
        table.add_row(t["token_id"], t["username"], t["name"], ", ".join(t["scopes"]), fmt_time(t["created"]),
                      fmt_time(t["expires"]), fmt_time(t["last_used"]), fmt_time(t["revoked"]) if t["revoked"]
                      else MISSING)
    console.print(table)


def render_events(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["events"]:
        console.print("No changes to users, tokens or permissions yet.")
        return
    table = layout.table("#", "Time", "Action", "By", "Target", "Details")
    for e in doc["events"]:
        by = e["actor"] if e["actor_method"] in ("password", "token") else f"{e['actor']} ({e['actor_method']})"
        details = ", ".join(f"{k}={v}" for k, v in e["details"].items())
        table.add_row(str(e["event_id"]), fmt_time(e["timestamp"]), e["action"], by, e["target"] or "", details)
    console.print(table)
