"""The auth log: every change to users, tokens and grants, appended in the transaction of the
change itself. It records who acted, on what, and what changed; never a password, a hash or a
token secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairn.entities import Actor, AuthEvent
from cairn.store import auth_events as rows
from cairn.store.auth_events import Tx
from cairn.store.database import Database
from cairn.tracking.validation import validate_max_results

MAX_EVENTS = 10_000

USER_CREATED, USER_DELETED = "user.created", "user.deleted"
PASSWORD_CHANGED, ADMIN_CHANGED = "user.password_changed", "user.admin_changed"
TOKEN_CREATED, TOKEN_REVOKED = "token.created", "token.revoked"
PERMISSION_CREATED, PERMISSION_UPDATED, PERMISSION_DELETED = (
    "permission.created", "permission.updated", "permission.deleted")


def record(tx: Tx, action: str, actor: Actor, now: int, target: str | None,
           details: Mapping[str, Any] | None = None) -> None:
    rows.insert_event(tx, action, actor, now, target, details)


def list_auth_events(db: Database, max_results: int = 1000) -> list[AuthEvent]:
    """The newest ``max_results`` changes, oldest first."""
    limit = validate_max_results(max_results, MAX_EVENTS)
    with db.read() as tx:
        return rows.list_events(tx, limit)
