"""``cairn webhooks``: tell CI/CD about registry events (signed POSTs, retried, logged)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cairn.cli_models import JsonOption, UserOption, client, emit
from cairn.cli_models_views import as_dict
from cairn.cli_render import MISSING, fmt_time

webhooks_app = typer.Typer(
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
    help="Webhooks: POST registry events (signed with X-Cairn-Signature) to CI/CD.\n\n"
         "\b\nExample:\n  cairn webhooks add https://ci.example.com/hooks/cairn --event model_version.stage_changed",
)
IdArgument = Annotated[str, typer.Argument(metavar="WEBHOOK_ID", help="Id from `cairn webhooks list`.",
                                           show_default=False)]
_STATUS_STYLES = {"DELIVERED": "green", "FAILED": "bold red", "PENDING": "yellow", "SENDING": "yellow"}


@webhooks_app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="http(s) URL to POST events to.", show_default=False)],
    events: Annotated[list[str] | None, typer.Option(
        "--event", "-e", metavar="EVENT", help="Event to send, e.g. model_version.stage_changed; repeat "
                                               "(default: every event).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="A label (default: the URL).")] = None,
    secret: Annotated[str | None, typer.Option(
        "--secret", envvar="CAIRN_WEBHOOK_SECRET", help="Signing secret, 16+ characters (default: generated).")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d", help="What it is for.")] = None,
    allow_private: Annotated[bool, typer.Option(
        "--allow-private", help="Allow a private, loopback or link-local target (refused by default).")] = False,
    user: UserOption = None, as_json: JsonOption = False,
) -> None:
    """Subscribe a URL to registry events; prints the signing secret once.

    \b
    Example:
      cairn webhooks add https://ci.example.com/hooks/cairn -e model_version.stage_changed -e model_version.rolled_back
    """
    webhook, shown_secret = client(ctx).create_webhook(url, events, name=name, secret=secret, description=description,
                                                    allow_private=allow_private, user=user)
    emit({"webhook": as_dict(webhook), "secret": shown_secret}, as_json, _render_added)


@webhooks_app.command("list")
def list_webhooks(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List webhooks and the events each one receives.

    \b
    Example:
      cairn webhooks list --json
    """
    emit({"webhooks": [as_dict(w) for w in client(ctx).list_webhooks()]}, as_json, _render_webhooks)


@webhooks_app.command("test")
def test(ctx: typer.Context, webhook_id: IdArgument, user: UserOption = None, as_json: JsonOption = False) -> None:
    """Send a signed test event now and show whether it was delivered.

    \b
    Example:
      cairn webhooks test 5d41402abc4b2a76b9719d911017c592
    """
    emit({"deliveries": [as_dict(client(ctx).test_webhook(webhook_id, user=user))]}, as_json, _render_deliveries)


@webhooks_app.command("log")
def delivery_log(
    ctx: typer.Context,
    webhook_id: Annotated[str | None, typer.Argument(metavar="WEBHOOK_ID", help="Only this webhook.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Show the last N deliveries.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The delivery log: each event sent, delivered or failed with its status, and retries.

    \b
    Example:
      cairn webhooks log 5d41402abc4b2a76b9719d911017c592 --limit 20
    """
    found = client(ctx).list_webhook_deliveries(webhook_id, limit)
    emit({"deliveries": [as_dict(d) for d in found]}, as_json, _render_deliveries)


@webhooks_app.command("remove")
def remove(ctx: typer.Context, webhook_id: IdArgument, user: UserOption = None, as_json: JsonOption = False) -> None:
    """Remove a webhook and its delivery log.

    \b
    Example:
      cairn webhooks remove 5d41402abc4b2a76b9719d911017c592
    """
    client(ctx).delete_webhook(webhook_id, user=user)
    emit({"webhook_id": webhook_id, "removed": True}, as_json,
         lambda doc, console: console.print(f"Removed webhook {doc['webhook_id']}."))


def _render_added(doc: Mapping[str, Any], console: Console) -> None:
    w = doc["webhook"]
    console.print(f"Added webhook {w['webhook_id']} → {w['url']} for {', '.join(w['events'])}.")
    console.print(Text(f"Signing secret (shown once): {doc['secret']}", style="bold"))
    console.print("Receivers check X-Cairn-Signature: sha256=<hex HMAC-SHA256 of the body with this secret>.")


def _render_webhooks(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["webhooks"]:
        console.print("No webhooks. Add one with `cairn webhooks add URL`.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("Id", "Name", "URL", "Events", "Status", "Private ok", "Added"):
        table.add_column(column, overflow="fold")
    for w in doc["webhooks"]:
        table.add_row(w["webhook_id"], w["name"], w["url"], ", ".join(w["events"]), w["status"],
                      "yes" if w["allow_private"] else "no", fmt_time(w["creation_timestamp"]))
    console.print(table)


def _render_deliveries(doc: Mapping[str, Any], console: Console) -> None:
    if not doc["deliveries"]:
        console.print("No deliveries.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("#", "Event", "Status", "HTTP", "Attempts", "Queued", "Last try", "Next try", "Error"):
        table.add_column(column, overflow="fold")
    for d in doc["deliveries"]:
        table.add_row(str(d["delivery_id"]), d["event"], Text(d["status"], style=_STATUS_STYLES.get(d["status"], "")),
                      str(d["status_code"]) if d["status_code"] is not None else MISSING, str(d["attempts"]),
                      fmt_time(d["created_time"]), fmt_time(d["last_attempt_time"]),
                      fmt_time(d["next_attempt_time"]) if d["status"] == "PENDING" else "", d["error"] or "")
    console.print(table)
