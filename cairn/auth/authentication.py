"""Sign-in: credentials from a request's ``Authorization`` header to a ``Principal``, or a refusal.

Passwords are checked with Argon2id, which is slow on purpose (tens of milliseconds). Clients
send their credentials with every call, so a successful check is remembered in this process:
an HMAC of (name, password) under a per-process random key, with the stored hash it matched.
The next request with the same credentials costs one user lookup; a changed password (a new
hash), a deleted user or a restart makes the remembered check void. Tokens are cheap to check
(one SHA-256) and are checked every time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

from cairn.errors import Unauthenticated
from cairn.store.database import Database

from . import throttle, tokens, users
from .credentials import BEARER, Credentials
from .principal import PASSWORD, TOKEN, Principal

REMEMBERED_SIGN_INS = 1024
WRONG_PASSWORD = "Wrong user name or password."
BAD_TOKEN = "The API token is not valid: unknown, revoked or expired. Mint a new one with `cairn tokens create`."


class Authenticator:
    """Checks credentials against one store; one per server process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._key = secrets.token_bytes(32)
        self._remembered: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def sign_in(self, credentials: Credentials, address: str) -> Principal:
        """The principal the credentials prove; ``Unauthenticated`` or ``TooManyRequests``."""
        if credentials.scheme == BEARER or tokens.looks_like_token(credentials.secret):
            return self._token(credentials, address)
        return self.sign_in_with_password(credentials.username or "", credentials.secret, address)

    def sign_in_with_password(self, username: str, password: str, address: str) -> Principal:
        """The user whose password this is (the API's Basic sign-in and the web UI's login page
        both come here): ``Unauthenticated`` when wrong, ``TooManyRequests`` while throttled."""
        fingerprint = hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()
        record = users.find_user(self.db, username)
        if record is not None and record.password_hash is not None:
            with self._lock:
                remembered = self._remembered.get(fingerprint)
            if remembered is not None and hmac.compare_digest(remembered, record.password_hash):
                return Principal(record.user, PASSWORD)
        throttle.check(self.db, username, address)
        user = users.check_password(self.db, username, password)
        if user is None:
            throttle.count_failure(self.db, username, address)
            raise Unauthenticated(WRONG_PASSWORD)
        throttle.clear(self.db, username, address)
        current = users.find_user(self.db, username)
        if current is not None and current.password_hash is not None:
            with self._lock:
                self._remembered[fingerprint] = current.password_hash
                while len(self._remembered) > REMEMBERED_SIGN_INS:
                    self._remembered.popitem(last=False)
        return Principal(user, PASSWORD)

    def _token(self, credentials: Credentials, address: str) -> Principal:
        throttle.check(self.db, credentials.username, address)
        found = tokens.check_token(self.db, credentials.secret)
        if found is None or (credentials.username is not None and credentials.username != found[0].username):
            throttle.count_failure(self.db, credentials.username, address)
            raise Unauthenticated(BAD_TOKEN)
        user, token = found
        return Principal(user, TOKEN, token.token_id, token.scopes)
