"""Web UI sessions: what a browser holds once its user signed in on the login page.

A session is a row in the store (``web_sessions``), not a signed cookie. The cookie carries 32
random bytes; the store keeps only their SHA-256, so a copy of the table signs no one in. Why a
table: sign-out and a password change must end sessions at once, on every worker, and that needs
shared state anyway (a signed cookie would need a revocation list in the store beside it); the
table also outlives restarts and a rotated signing key, and nothing lives only in one process's
memory. The cost is one indexed read per page, next to the reads the page makes anyway.

Rules:
1. A session starts only from a password sign-in, through the same Argon2id check and
   failed-login throttle as the API's HTTP Basic (``Authenticator.sign_in_with_password``).
   API tokens do not open sessions.
2. It ends ``SESSION_LIFETIME_MS`` after it started (no sliding renewal), at sign-out, when the
   user's password changes (``users.update_password``) and when the user is deleted. Admin rights
   and grants are read on every request, so a change to them applies to open sessions at once.
3. The cookie authenticates the web UI's pages and forms only, never the REST API (the route
   table's ``browser`` rules), so a cross-site request cannot reach the API with it; the UI's
   forms carry a CSRF token besides.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from cairn.entities import User
from cairn.store import auth_sessions as rows
from cairn.store.database import Database
from cairn.tracking import clock

from .principal import SESSION, Principal

SESSION_LIFETIME_MS = 12 * 3_600_000
_SECRET_BYTES = 32
_FORM = re.compile(r"[A-Za-z0-9_-]{43}")


def start_session(db: Database, user: User) -> tuple[str, int]:
    """A new session for ``user`` (who just proved their password): the cookie's value and when
    it expires (epoch ms). Sessions that have expired are swept out on the way."""
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    now = clock.now_ms()
    expires = now + SESSION_LIFETIME_MS
    with db.write() as tx:
        rows.delete_expired(tx, now)
        rows.insert_session(tx, _digest(secret), user.user_id, now, expires)
    return secret, expires


def session_principal(db: Database, secret: str | None) -> Principal | None:
    """Who the session with this cookie value belongs to; None when there is no such session,
    it has expired or ended, or the value is malformed."""
    if not secret or not _FORM.fullmatch(secret):
        return None
    with db.read() as tx:
        found = rows.find_session(tx, _digest(secret), clock.now_ms())
    return Principal(found.user, SESSION) if found is not None else None


def end_session(db: Database, secret: str | None) -> None:
    """Sign out: the session with this cookie value ends (nothing happens for an unknown one)."""
    if secret and _FORM.fullmatch(secret):
        with db.write() as tx:
            rows.delete_session(tx, _digest(secret))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
