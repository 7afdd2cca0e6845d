"""API tokens: their records and secret hashes. The secret itself never reaches this module."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, insert, select, update

from cairn.entities import ApiToken

from .schema import api_tokens, users

Tx = Connection


class TokenRecord(NamedTuple):
    token: ApiToken
    secret_hash: str


def insert_token(conn: Tx, token: ApiToken, secret_hash: str) -> None:
    conn.execute(insert(api_tokens).values(
        token_id=token.token_id, user_id=token.user_id, name=token.name, secret_hash=secret_hash,
        scopes=",".join(token.scopes), creation_time=token.creation_timestamp,
        expiration_time=token.expiration_timestamp, created_by=token.created_by,
    ))


def find_token(conn: Tx, token_id: str) -> TokenRecord | None:
    row = conn.execute(_select().where(api_tokens.c.token_id == token_id)).first()
    return TokenRecord(_token(row), row.secret_hash) if row is not None else None


def list_tokens(conn: Tx, user_id: int | None = None) -> list[ApiToken]:
    """Tokens of one user (or of everyone), oldest first."""
    stmt = _select().order_by(api_tokens.c.creation_time, api_tokens.c.token_id)
    if user_id is not None:
        stmt = stmt.where(api_tokens.c.user_id == user_id)
    return [_token(row) for row in conn.execute(stmt)]


def revoke_token(conn: Tx, token_id: str, now: int) -> None:
    t = api_tokens.c
    conn.execute(update(api_tokens).where(t.token_id == token_id, t.revoked_time.is_(None)).values(revoked_time=now))


def touch_token(conn: Tx, token_id: str, now: int) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.token_id == token_id).values(last_used_time=now))


def _select():  # type: ignore[no-untyped-def]
    return select(api_tokens, users.c.username).join(users, users.c.user_id == api_tokens.c.user_id)


def _token(row) -> ApiToken:  # type: ignore[no-untyped-def]
    return ApiToken(
        token_id=row.token_id, user_id=row.user_id, username=row.username, name=row.name,
        scopes=tuple(s for s in row.scopes.split(",") if s), creation_timestamp=row.creation_time,
        expiration_timestamp=row.expiration_time, created_by=row.created_by,
        last_used_timestamp=row.last_used_time, revoked_timestamp=row.revoked_time,
    )
