"""The authentication tables (migration 0006): users and service accounts, API tokens, per-resource
grants, the append-only log of changes to them, and failed-login counters for throttling; and
(migration 0007) the web UI's sign-in sessions.

No password or token secret is stored: ``password_hash`` is an Argon2id hash (a service account
has none and signs in only with tokens), ``secret_hash`` the SHA-256 of a token's random secret,
``session_hash`` the SHA-256 of a session cookie's.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .base import NAME_LENGTH, metadata

TOKEN_ID_LENGTH = 32
RESOURCE_KEY_LENGTH = 64

users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(NAME_LENGTH), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("is_admin", Boolean, nullable=False),
    Column("is_service", Boolean, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    UniqueConstraint("username", name="uq_users_username"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(TOKEN_ID_LENGTH), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", String(NAME_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiration_time", BigInteger, nullable=False),
    Column("last_used_time", BigInteger, nullable=True),
    Column("revoked_time", BigInteger, nullable=True),
    Column("created_by", String(NAME_LENGTH), nullable=False),
    # Serves a user's token list.
    Index("ix_api_tokens_user", "user_id", "creation_time"),
)

# One grant per (resource, user). Experiments are keyed by id and registered models by their
# surrogate key, so a rename keeps the grants and a new model under an old name gets none.
resource_permissions = Table(
    "resource_permissions",
    metadata,
    Column("resource_type", String(32), nullable=False),
    Column("resource_key", String(RESOURCE_KEY_LENGTH), nullable=False),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("permission", String(16), nullable=False),
    PrimaryKeyConstraint("resource_type", "resource_key", "user_id", name="pk_resource_permissions"),
    # Serves "what may this user read" (search filtering) and a user's permission lists.
    Index("ix_resource_permissions_user", "user_id", "resource_type"),
)

# Append-only, like the registry's audit trail (triggers in migration 0005 refuse UPDATE and
# DELETE). ``details`` never holds a password, hash or token secret.
auth_events = Table(
    "auth_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(NAME_LENGTH), nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("actor_method", String(16), nullable=True),
    Column("target", String(NAME_LENGTH), nullable=True),
    Column("details", Text, nullable=True),
)

# Failed sign-ins per key ("user:NAME@ADDRESS" or "address:ADDRESS") in the current window. In the
# database, not in memory, so every worker process counts the same failures.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(NAME_LENGTH + 80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", BigInteger, nullable=False),
)

# One row per signed-in browser (``cairn.auth.sessions``). Keyed by the SHA-256 of the cookie's
# random value, so a copy of the table does not sign anyone in.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiration_time", BigInteger, nullable=False),
    # Serves "end every session of this user" (password change, deletion).
    Index("ix_web_sessions_user", "user_id"),
    # Serves the sweep of expired sessions.
    Index("ix_web_sessions_expiry", "expiration_time"),
)
