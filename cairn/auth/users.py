"""Users and service accounts: create, read, change, delete, and sign in with a password.

Rules, in the order they apply:
1. There is no default user or password. The first admin is created explicitly
   (``cairn users create-admin``), against the store itself.
2. A person signs in with a password (Argon2id, see ``passwords``); a service account has none
   and acts only through API tokens an admin mints for it.
3. A user changing their own password gives the current one too (a stolen session cannot
   silently take the account over); an admin changing someone else's does not.
4. Nobody deletes themselves, and the last admin cannot be deleted or demoted: the server would
   be left with no one able to manage it.
5. A new password ends the user's web UI sessions, in the same transaction (a session opened
   with the old password, perhaps by someone else, does not outlive it).
6. Every change is written to the auth log in the same transaction, without secrets.
"""

from __future__ import annotations

from cairn.entities import Actor, User
from cairn.errors import AlreadyExists, Conflict, InvalidParameter, NotFound
from cairn.store import auth_grants, auth_sessions, auth_users
from cairn.store.auth_users import Tx, UserRecord
from cairn.store.database import Database
from cairn.tracking import clock
from cairn.tracking.validation import control_character_in

from . import audit
from .passwords import hash_password, needs_rehash, validate_password, verify_password

MAX_USERNAME_LENGTH = 256


def validate_username(username: object) -> str:
    """1 to 256 characters, no colon (HTTP Basic splits on it), no control characters, no
    surrounding spaces."""
    if (not isinstance(username, str) or not username or len(username) > MAX_USERNAME_LENGTH
            or username != username.strip() or ":" in username or control_character_in(username)):
        raise InvalidParameter(
            f"A user name must be 1 to {MAX_USERNAME_LENGTH} characters, without a colon, control characters "
            "or surrounding spaces."
        )
    return username


def create_user(db: Database, username: str, password: str | None, actor: Actor, *, is_admin: bool = False,
                is_service: bool = False) -> User:
    """A person (with a password) or a service account (``is_service``, no password).
    ``AlreadyExists`` when the name is taken."""
    validate_username(username)
    if is_service and password is not None:
        raise InvalidParameter("A service account has no password; mint API tokens for it instead.")
    if not is_service and password is None:
        raise InvalidParameter("A user needs a password (or create a service account, which signs in with tokens).")
    hashed = hash_password(password) if password is not None else None
    with db.write() as tx:
        now = clock.now_ms()
        user = None if auth_users.find_user(tx, username) is not None else auth_users.insert_user(
            tx, username, hashed, is_admin=is_admin, is_service=is_service, now=now)
        if user is None:  # stored already, or by a concurrent create a moment ago
            raise AlreadyExists(f"User '{username}' already exists.")
        audit.record(tx, audit.USER_CREATED, actor, now, username,
                     {"user_id": user.user_id, "is_admin": is_admin, "is_service": is_service})
        return user


def create_admin(db: Database, username: str, password: str, actor: Actor) -> User:
    """The first (or another) admin, created against the store directly."""
    return create_user(db, username, password, actor, is_admin=True)


def get_user(db: Database, username: str) -> User:
    """The user with their grants; ``NotFound`` if there is no such user."""
    with db.read() as tx:
        record = _require(tx, username)
        return _with_grants(tx, record.user)


def list_users(db: Database) -> list[User]:
    with db.read() as tx:
        return auth_users.list_users(tx)


def update_password(db: Database, username: str, password: str, actor: Actor, *,
                    current_password: str | None = None, self_service: bool = False) -> None:
    """Set a new password. ``self_service`` (a user changing their own) needs
    ``current_password``, and the new one must differ."""
    validate_password(password)
    with db.read() as tx:
        record = _require(tx, username)
    if record.user.is_service:
        raise InvalidParameter(f"'{username}' is a service account; it has no password.")
    if self_service:
        if not current_password:
            raise InvalidParameter("Give your current password (current_password) to change it.")
        if not verify_password(record.password_hash, current_password):
            raise InvalidParameter("The current password does not match.")
        if password == current_password:
            raise InvalidParameter("The new password must differ from the current one.")
    hashed = hash_password(password)
    with db.write() as tx:
        now = clock.now_ms()
        user_id = _require(tx, username).user.user_id
        auth_users.update_user(tx, user_id, now, password_hash=hashed)
        auth_sessions.delete_sessions_of(tx, user_id)  # rule 5
        audit.record(tx, audit.PASSWORD_CHANGED, actor, now, username)


def set_admin(db: Database, username: str, is_admin: bool, actor: Actor) -> None:
    with db.write() as tx:
        user = _require(tx, username).user
        if user.is_admin and not is_admin and auth_users.count_admins(tx) <= 1:
            raise Conflict(f"'{username}' is the last admin; make another user an admin first.")
        now = clock.now_ms()
        auth_users.update_user(tx, user.user_id, now, is_admin=is_admin)
        audit.record(tx, audit.ADMIN_CHANGED, actor, now, username, {"is_admin": is_admin})


def delete_user(db: Database, username: str, actor: Actor) -> None:
    """Remove a user, their grants and their tokens."""
    if actor.verified and actor.name == username:
        raise InvalidParameter("You cannot delete your own account; ask another admin to do it.")
    with db.write() as tx:
        user = _require(tx, username).user
        if user.is_admin and auth_users.count_admins(tx) <= 1:
            raise Conflict(f"'{username}' is the last admin; make another user an admin first.")
        now = clock.now_ms()
        auth_users.delete_user(tx, user.user_id)
        audit.record(tx, audit.USER_DELETED, actor, now, username, {"user_id": user.user_id})


def check_password(db: Database, username: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None, in about the same time either way (an
    unknown name is checked against a dummy hash). A hash made with outdated parameters is
    replaced by a fresh one."""
    with db.read() as tx:
        record = auth_users.find_user(tx, username) if _plausible_name(username) else None
    stored = record.password_hash if record is not None else None
    if not verify_password(stored, password) or record is None:
        return None
    if stored is not None and needs_rehash(stored):
        with db.write() as tx:
            auth_users.update_user(tx, record.user.user_id, clock.now_ms(), password_hash=hash_password(password))
    return record.user


def find_user(db: Database, username: str) -> UserRecord | None:
    with db.read() as tx:
        return auth_users.find_user(tx, username) if _plausible_name(username) else None


def find_user_by_id(db: Database, user_id: int) -> User | None:
    with db.read() as tx:
        record = auth_users.find_user_by_id(tx, user_id)
    return record.user if record is not None else None


def require_user(tx: Tx, username: str) -> User:
    return _require(tx, username).user


def _require(tx: Tx, username: str) -> UserRecord:
    record = auth_users.find_user(tx, validate_username(username))
    if record is None:
        raise NotFound(f"User '{username}' not found.")
    return record


def _with_grants(tx: Tx, user: User) -> User:
    grants = tuple(auth_grants.grants_of_user(tx, user.user_id))
    return User(user.user_id, user.username, user.is_admin, user.is_service, user.creation_timestamp,
                user.last_updated_timestamp, grants)


def _plausible_name(username: str) -> bool:
    return 0 < len(username) <= MAX_USERNAME_LENGTH
