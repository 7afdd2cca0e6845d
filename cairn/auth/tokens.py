"""API tokens for CI and services.

A token reads ``cairn_pat_<id>_<secret>``: the prefix makes a leaked one easy to recognise (and
to scan for), the id finds its record, and the secret (32 random bytes) is stored only as its
SHA-256, which is enough for a random value of that size and cheap to check on every request.

Rules:
1. A token acts for its owner (a person or a service account) with the owner's grants,
   intersected with its scopes (``permissions.SCOPES``).
2. Every token expires, after at most ``MAX_TOKEN_DAYS`` days; expired and revoked tokens are
   refused like unknown ones.
3. Minting a token needs a password sign-in (never another token); users mint their own, admins
   mint for service accounts and other users.
4. The secret is shown once, at creation; it is not stored, logged or returned again.
5. Use is recorded (``last_used``) at most once per ``LAST_USED_RESOLUTION_MS``, so a busy
   client does not turn every read into a write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from cairn.entities import Actor, ApiToken, User
from cairn.errors import InvalidParameter, NotFound, PermissionDenied
from cairn.store import auth_tokens, auth_users
from cairn.store.database import Database
from cairn.tracking import clock

from . import audit
from .permissions import validate_scopes
from .users import require_user

TOKEN_PREFIX = "cairn_pat_"
MAX_TOKEN_DAYS = 365
MAX_TOKEN_NAME_LENGTH = 100
LAST_USED_RESOLUTION_MS = 60_000
DAY_MS = 86_400_000
_ID_BYTES = 8
_SECRET_BYTES = 32
_FORM = re.compile(r"cairn_pat_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
_DUMMY_HASH = hashlib.sha256(b"cairn: no such token").hexdigest()
_EXPIRY = re.compile(r"^\s*(\d{1,4})\s*([dwy]?)\s*$")
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "y": 365}


def parse_expiry_days(text: str | int) -> int:
    """``90d``, ``12w``, ``1y`` or a number of days, between 1 and ``MAX_TOKEN_DAYS``."""
    match = _EXPIRY.match(str(text))
    days = int(match.group(1)) * _UNIT_DAYS[match.group(2)] if match else 0
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidParameter(
            f"A token's expiry must be 1 to {MAX_TOKEN_DAYS} days, written like 30d, 12w or 1y; got {text!r}."
        )
    return days


def looks_like_token(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX)


def create_token(db: Database, owner: str, name: str, scopes: object, expires_in_days: int,
                 actor: Actor) -> tuple[ApiToken, str]:
    """Mint a token for ``owner``; returns its record and the secret (shown once)."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TOKEN_NAME_LENGTH:
        raise InvalidParameter(f"A token needs a name of 1 to {MAX_TOKEN_NAME_LENGTH} characters, e.g. 'ci'.")
    scope_list = validate_scopes(scopes)
    days = parse_expiry_days(expires_in_days)
    token_id = secrets.token_hex(_ID_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    with db.write() as tx:
        user = require_user(tx, owner)
        now = clock.now_ms()
        token = ApiToken(token_id, user.user_id, user.username, name.strip(), scope_list, now, now + days * DAY_MS,
                         created_by=actor.name)
        auth_tokens.insert_token(tx, token, _digest(secret))
        audit.record(tx, audit.TOKEN_CREATED, actor, now, user.username,
                     {"token_id": token_id, "name": token.name, "scopes": list(scope_list),
                      "expires": token.expiration_timestamp})
    return token, f"{TOKEN_PREFIX}{token_id}_{secret}"


def list_tokens(db: Database, owner: str | None = None) -> list[ApiToken]:
    """Tokens of ``owner`` (or of everyone), revoked and expired ones included."""
    with db.read() as tx:
        user_id = require_user(tx, owner).user_id if owner is not None else None
        return auth_tokens.list_tokens(tx, user_id)


def get_token(db: Database, token_id: str) -> ApiToken:
    with db.read() as tx:
        found = auth_tokens.find_token(tx, token_id)
    if found is None:
        raise NotFound(f"No token with id {token_id!r}; list them with `cairn tokens list`.")
    return found.token


def revoke_token(db: Database, token_id: str, actor: Actor, *, owner: str | None = None) -> ApiToken:
    """Revoke a token at once. With ``owner``, only a token of that user (``NotFound`` otherwise)."""
    with db.write() as tx:
        found = auth_tokens.find_token(tx, token_id) if isinstance(token_id, str) else None
        if found is None or (owner is not None and found.token.username != owner):
            raise NotFound(f"No token with id {token_id!r}; list them with `cairn tokens list`.")
        now = clock.now_ms()
        auth_tokens.revoke_token(tx, token_id, now)
        audit.record(tx, audit.TOKEN_REVOKED, actor, now, found.token.username,
                     {"token_id": token_id, "name": found.token.name})
        refreshed = auth_tokens.find_token(tx, token_id)
    assert refreshed is not None
    return refreshed.token


def check_token(db: Database, secret: str) -> tuple[User, ApiToken] | None:
    """The owner and record of a valid token, else None (unknown, malformed, revoked, expired).
    The hash comparison takes the same time whether or not the id exists."""
    match = _FORM.fullmatch(secret)
    token_id, raw = (match.group(1), match.group(2)) if match else ("", secret)
    with db.read() as tx:
        found = auth_tokens.find_token(tx, token_id) if match else None
        owner = auth_users.find_user_by_id(tx, found.token.user_id) if found is not None else None
    stored = found.secret_hash if found is not None else _DUMMY_HASH
    if not hmac.compare_digest(stored, _digest(raw)) or found is None or owner is None:
        return None
    token = found.token
    now = clock.now_ms()
    if token.revoked_timestamp is not None or now >= token.expiration_timestamp:
        return None
    if token.last_used_timestamp is None or now - token.last_used_timestamp >= LAST_USED_RESOLUTION_MS:
        with db.write() as tx:
            auth_tokens.touch_token(tx, token.token_id, now)
    return owner.user, token


def require_password_session(method: str) -> None:
    """Refuse to mint a token from a token session (rule 3)."""
    if method != "password":
        raise PermissionDenied("Minting a token needs a password sign-in; an API token cannot mint another.")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
