"""Web UI sessions: rows keyed by the hash of the cookie's value (the value itself never reaches
this module), with the signed-in user joined in on lookup."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from .auth_users import UserRecord, record_of
from .schema import users, web_sessions

Tx = Connection


def insert_session(conn: Tx, session_hash: str, user_id: int, now: int, expires: int) -> None:
    conn.execute(insert(web_sessions).values(session_hash=session_hash, user_id=user_id, creation_time=now,
                                             expiration_time=expires))


def find_session(conn: Tx, session_hash: str, now: int) -> UserRecord | None:
    """The user of an unexpired session, or None."""
    s = web_sessions.c
    row = conn.execute(
        select(users).join(web_sessions, s.user_id == users.c.user_id)
        .where(s.session_hash == session_hash, s.expiration_time > now)
    ).first()
    return record_of(row) if row is not None else None


def delete_session(conn: Tx, session_hash: str) -> int:
    return conn.execute(delete(web_sessions).where(web_sessions.c.session_hash == session_hash)).rowcount


def delete_sessions_of(conn: Tx, user_id: int) -> int:
    return conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id)).rowcount


def delete_expired(conn: Tx, now: int) -> int:
    return conn.execute(delete(web_sessions).where(web_sessions.c.expiration_time <= now)).rowcount
