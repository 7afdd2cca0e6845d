"""``cairn webhooks``: tell CI/CD about registry events (signed POSTs, retried, logged)."""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.options import CONTEXT_SETTINGS, JsonOption, UserOption
from cairn.cli.output import client, emit
from cairn.cli.render import webhooks as render
from cairn.cli.views.webhooks import as_dict

webhooks_app = typer.Typer(
    no_args_is_help=True, context_settings=CONTEXT_SETTINGS,
    help="Webhooks: POST registry events (signed with X-Cairn-Signature) to CI/CD.\n\n"
         "\b\nExample:\n  cairn webhooks add https://ci.example.com/hooks/cairn --event model_version.stage_changed",
)
IdArgument = Annotated[str, typer.Argument(metavar="WEBHOOK_ID", help="Id from `cairn webhooks list`.",
                                           show_default=False)]


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
    emit({"webhook": as_dict(webhook), "secret": shown_secret}, as_json, render.render_added)


@webhooks_app.command("list")
def list_webhooks(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List webhooks and the events each one receives.

    \b
    Example:
      cairn webhooks list --json
    """
    emit({"webhooks": [as_dict(w) for w in client(ctx).list_webhooks()]}, as_json, render.render_webhooks)


@webhooks_app.command("test")
def test(ctx: typer.Context, webhook_id: IdArgument, user: UserOption = None, as_json: JsonOption = False) -> None:
    """Send a signed test event now and show whether it was delivered.

    \b
    Example:
      cairn webhooks test 5d41402abc4b2a76b9719d911017c592
    """
    emit({"deliveries": [as_dict(client(ctx).test_webhook(webhook_id, user=user))]}, as_json, render.render_deliveries)


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
    emit({"deliveries": [as_dict(d) for d in found]}, as_json, render.render_deliveries)


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


def register(app: typer.Typer) -> None:
    """Add ``webhooks`` to the ``cairn`` command."""
    app.add_typer(webhooks_app, name="webhooks")
