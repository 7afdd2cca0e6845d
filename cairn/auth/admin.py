"""Managing users, tokens and permissions from the command line: against a server over its API
(``client.auth_admin.RestAuthAdmin``, signed in from the environment) or against a store
directly (``LocalAuthAdmin``, for whoever can open the store's files: that is how the first admin
is created, before or while a server runs on it).

Changes made directly on a store are logged under the operating-system user, marked unverified
(method ``store``).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Protocol

from cairn.entities import Actor, ApiToken, AuthEvent, User
from cairn.errors import InvalidParameter
from cairn.store.database import Database, open_database

from . import audit, grants, tokens, users

STORE_METHOD = "store"
DEFAULT_FOLDER = ".cairn"


class AuthAdmin(Protocol):
    def create_user(self, username: str, password: str | None, *, is_admin: bool = False,
                    is_service: bool = False) -> User: ...
    def get_user(self, username: str) -> User: ...
    def list_users(self) -> list[User]: ...
    def set_password(self, username: str, password: str) -> None: ...
    def set_admin(self, username: str, is_admin: bool) -> None: ...
    def delete_user(self, username: str) -> None: ...
    def create_token(self, name: str, scopes: list[str], expires: str,
                     username: str | None = None) -> tuple[ApiToken, str]: ...
    def list_tokens(self, username: str | None = None, everyone: bool = False) -> list[ApiToken]: ...
    def revoke_token(self, token_id: str) -> ApiToken: ...
    def grant(self, resource_type: str, resource: str, username: str, permission: str) -> None: ...
    def revoke(self, resource_type: str, resource: str, username: str) -> None: ...
    def list_events(self, max_results: int) -> list[AuthEvent]: ...
    def close(self) -> None: ...


def store_actor() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(name, verified=False, method=STORE_METHOD)


class LocalAuthAdmin:
    """The same operations directly on a store (no sign-in: file access is the right to do them)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.actor = store_actor()

    def close(self) -> None:
        self.db.close()

    def create_user(self, username: str, password: str | None, *, is_admin: bool = False,
                    is_service: bool = False) -> User:
        return users.create_user(self.db, username, password, self.actor, is_admin=is_admin, is_service=is_service)

    def get_user(self, username: str) -> User:
        return users.get_user(self.db, username)

    def list_users(self) -> list[User]:
        return users.list_users(self.db)

    def set_password(self, username: str, password: str) -> None:
        users.update_password(self.db, username, password, self.actor)

    def set_admin(self, username: str, is_admin: bool) -> None:
        users.set_admin(self.db, username, is_admin, self.actor)

    def delete_user(self, username: str) -> None:
        users.delete_user(self.db, username, self.actor)

    def create_token(self, name: str, scopes: list[str], expires: str,
                     username: str | None = None) -> tuple[ApiToken, str]:
        if username is None:
            raise InvalidParameter("On a store (not a server), name the token's owner with --user.")
        return tokens.create_token(self.db, username, name, scopes, tokens.parse_expiry_days(expires), self.actor)

    def list_tokens(self, username: str | None = None, everyone: bool = False) -> list[ApiToken]:
        return tokens.list_tokens(self.db, None if everyone else username)

    def revoke_token(self, token_id: str) -> ApiToken:
        return tokens.revoke_token(self.db, token_id, self.actor)

    def grant(self, resource_type: str, resource: str, username: str, permission: str) -> None:
        grants.set_grant(self.db, resource_type, resource, username, permission, self.actor)

    def revoke(self, resource_type: str, resource: str, username: str) -> None:
        grants.delete_grant(self.db, resource_type, resource, username, self.actor)

    def list_events(self, max_results: int) -> list[AuthEvent]:
        return audit.list_auth_events(self.db, max_results)


def auth_admin_for(tracking_uri: str | None) -> AuthAdmin:
    """A server's API for ``http(s)://`` URIs; otherwise the store the URI names (a folder,
    ``sqlite:///file.db``, ``postgresql+psycopg://...``; default ``./.cairn``)."""
    uri = tracking_uri or DEFAULT_FOLDER
    if uri.startswith(("http://", "https://")):
        from cairn.client.auth_admin import RestAuthAdmin

        return RestAuthAdmin(uri)
    return LocalAuthAdmin(open_database(store_url(uri)))


def store_url(uri: str) -> str:
    if "://" in uri:
        return uri
    return f"sqlite:///{(Path(uri).expanduser() / 'cairn.db').absolute()}"
