"""Users and service accounts: insert, read, change, delete. Password hashes go in and out of
this module only as opaque strings; hashing is ``cairn.auth.passwords``' job."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update

from cairn.entities import User

from .database import insert_unique
from .schema import api_tokens, resource_permissions, users, web_sessions

Tx = Connection


class UserRecord(NamedTuple):
    """A user with the stored hash (None for a service account), for sign-in checks."""

    user: User
    password_hash: str | None


def insert_user(conn: Tx, username: str, password_hash: str | None, *, is_admin: bool, is_service: bool,
                now: int) -> User | None:
    """The new user; None when the name is taken (also by a concurrent transaction)."""
    result = insert_unique(conn, insert(users).values(
        username=username, password_hash=password_hash, is_admin=is_admin, is_service=is_service,
        creation_time=now, last_updated_time=now,
    ))
    if result is None:
        return None
    return User(int(result.inserted_primary_key[0]), username, is_admin, is_service, now, now)


def find_user(conn: Tx, username: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.username == username)).first()
    return record_of(row) if row is not None else None


def find_user_by_id(conn: Tx, user_id: int) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
    return record_of(row) if row is not None else None


def list_users(conn: Tx) -> list[User]:
    return [record_of(row).user for row in conn.execute(select(users).order_by(users.c.username))]


def count_admins(conn: Tx) -> int:
    u = users.c
    return int(conn.execute(select(func.count()).select_from(users).where(u.is_admin.is_(True))).scalar_one())


def update_user(conn: Tx, user_id: int, now: int, **values: object) -> None:
    """Change ``password_hash`` and/or ``is_admin`` of one user."""
    conn.execute(update(users).where(users.c.user_id == user_id).values(last_updated_time=now, **values))


def delete_user(conn: Tx, user_id: int) -> None:
    """Remove a user with their grants, tokens and web sessions (the auth log keeps what happened)."""
    conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))
    conn.execute(delete(resource_permissions).where(resource_permissions.c.user_id == user_id))
    conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id))
    conn.execute(delete(users).where(users.c.user_id == user_id))


def record_of(row) -> UserRecord:  # type: ignore[no-untyped-def]
    """A ``users`` row as a ``UserRecord``."""
    user = User(row.user_id, row.username, bool(row.is_admin), bool(row.is_service), row.creation_time,
                row.last_updated_time)
    return UserRecord(user, row.password_hash)
