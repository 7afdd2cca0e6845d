"""Who a request is from, once authenticated: a user signed in with a password (on each request, or
once on the web UI's login page: a session), or an API token acting for its owner within its
scopes."""

from __future__ import annotations

from dataclasses import dataclass

from cairn.entities import Actor, User

from .permissions import SCOPES

PASSWORD, TOKEN, SESSION = "password", "token", "session"


@dataclass(frozen=True)
class Principal:
    user: User
    method: str
    token_id: str | None = None
    scopes: tuple[str, ...] = SCOPES

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def is_admin(self) -> bool:
        """The owner is an admin (a token's routes still need their scopes: user management the
        ``admin`` scope, writes ``write``...)."""
        return self.user.is_admin

    @property
    def principal_id(self) -> str:
        return f"token:{self.token_id}" if self.token_id else f"user:{self.user.user_id}"

    def has_scope(self, scope: str | None) -> bool:
        return scope is None or scope in self.scopes

    def actor(self) -> Actor:
        """The verified ``Actor`` every change made by this request is recorded under."""
        return Actor(self.user.username, verified=True, principal_id=self.principal_id, method=self.method)
