"""Grants: one permission level per (user, experiment) and per (user, registered model).

Experiments are named by id and models by name, as MLflow's permission API names them; a model's
grants are stored under its surrogate key, so they follow a rename and a new model under a
deleted one's name starts with none. The creator of an experiment or model gets MANAGE on it.
A resource with no grant for the user falls back to the server's default permission
(``NO_PERMISSIONS`` unless the operator says otherwise). Every change goes to the auth log.
"""

from __future__ import annotations

from cairn.entities import Actor, ResourceGrant, User
from cairn.errors import AlreadyExists, InvalidParameter, NotFound
from cairn.store import auth_grants as rows
from cairn.store.auth_grants import EXPERIMENT, REGISTERED_MODEL, Tx
from cairn.store.database import Database
from cairn.tracking import clock
from cairn.tracking.validation import parse_experiment_id

from . import audit
from .permissions import CAN_READ, LEVELS, MANAGE, NO_PERMISSIONS, allows, validate_level
from .users import require_user

RESOURCE_TYPES = (EXPERIMENT, REGISTERED_MODEL)
_READABLE_LEVELS = tuple(level for level in LEVELS if allows(level, CAN_READ))


def resource_key(tx: Tx, resource_type: str, resource: str) -> str | None:
    """The key grants on ``resource`` (an experiment id, a model name) are stored under, or None
    when no such resource exists."""
    if resource_type == EXPERIMENT:
        return rows.experiment_key(tx, parse_experiment_id(resource))
    if resource_type == REGISTERED_MODEL:
        return rows.model_key(tx, resource) if isinstance(resource, str) else None
    raise InvalidParameter(f"Unknown resource type {resource_type!r}; use one of {', '.join(RESOURCE_TYPES)}.")


def create_grant(db: Database, resource_type: str, resource: str, username: str, permission: str,
                 actor: Actor) -> ResourceGrant:
    """Give ``username`` a permission on a resource; ``AlreadyExists`` if they have one (update it)."""
    level = validate_level(permission)
    with db.write() as tx:
        key, user = _require_resource(tx, resource_type, resource), require_user(tx, username)
        if rows.get_permission(tx, resource_type, key, user.user_id) is not None:
            raise AlreadyExists(f"{username} already has a permission on {_label(resource_type, resource)}; "
                                "update it instead.")
        rows.insert_permission(tx, resource_type, key, user.user_id, level)
        _record(tx, audit.PERMISSION_CREATED, actor, resource_type, resource, username, level)
    return ResourceGrant(resource_type, resource, user.user_id, user.username, level)


def update_grant(db: Database, resource_type: str, resource: str, username: str, permission: str,
                 actor: Actor) -> ResourceGrant:
    level = validate_level(permission)
    with db.write() as tx:
        key, user = _require_resource(tx, resource_type, resource), require_user(tx, username)
        before = rows.get_permission(tx, resource_type, key, user.user_id)
        if before is None:
            raise NotFound(f"{username} has no permission on {_label(resource_type, resource)} to update.")
        rows.update_permission(tx, resource_type, key, user.user_id, level)
        _record(tx, audit.PERMISSION_UPDATED, actor, resource_type, resource, username, level, before)
    return ResourceGrant(resource_type, resource, user.user_id, user.username, level)


def set_grant(db: Database, resource_type: str, resource: str, username: str, permission: str,
              actor: Actor) -> ResourceGrant:
    """Create or replace a user's permission on a resource."""
    with db.read() as tx:
        key, user = _require_resource(tx, resource_type, resource), require_user(tx, username)
        exists = rows.get_permission(tx, resource_type, key, user.user_id) is not None
    change = update_grant if exists else create_grant
    return change(db, resource_type, resource, username, permission, actor)


def delete_grant(db: Database, resource_type: str, resource: str, username: str, actor: Actor) -> None:
    with db.write() as tx:
        key, user = _require_resource(tx, resource_type, resource), require_user(tx, username)
        before = rows.get_permission(tx, resource_type, key, user.user_id)
        if before is None or rows.delete_permission(tx, resource_type, key, user.user_id) == 0:
            raise NotFound(f"{username} has no permission on {_label(resource_type, resource)} to delete.")
        _record(tx, audit.PERMISSION_DELETED, actor, resource_type, resource, username, None, before)


def get_grant(db: Database, resource_type: str, resource: str, username: str) -> ResourceGrant:
    """The user's own grant on the resource; ``NotFound`` when there is none."""
    with db.read() as tx:
        key, user = _require_resource(tx, resource_type, resource), require_user(tx, username)
        level = rows.get_permission(tx, resource_type, key, user.user_id)
    if level is None:
        raise NotFound(f"{username} has no permission on {_label(resource_type, resource)}.")
    return ResourceGrant(resource_type, resource, user.user_id, user.username, level)


def grant_creator(db: Database, user: User, resource_type: str, resource: str, actor: Actor) -> None:
    """MANAGE for whoever just created the resource (an experiment id, a model name)."""
    with db.write() as tx:
        key = _require_resource(tx, resource_type, resource)
        before = rows.get_permission(tx, resource_type, key, user.user_id)
        if before == MANAGE:
            return
        if before is None:
            rows.insert_permission(tx, resource_type, key, user.user_id, MANAGE)
        else:
            rows.update_permission(tx, resource_type, key, user.user_id, MANAGE)
        _record(tx, audit.PERMISSION_CREATED, actor, resource_type, resource, user.username, MANAGE, before,
                creator=True)


# what a user may do ------------------------------------------------------------------------

def effective_level(tx: Tx, user: User, resource_type: str, key: str | None, default: str) -> str:
    """The user's grant on the resource under ``key``; ``default`` when they have none or the
    resource does not exist (so a refusal does not tell whether it exists)."""
    if key is None:
        return default
    return rows.get_permission(tx, resource_type, key, user.user_id) or default


def readable_keys(db: Database, user: User, resource_type: str, default: str) -> list[str] | None:
    """Keys of the resources of one type the user may read, or None when they may read all
    (admins, or a default permission that reads)."""
    if user.is_admin or allows(default, CAN_READ):
        return None
    with db.read() as tx:
        return rows.granted_keys(tx, user.user_id, resource_type, _READABLE_LEVELS)


def may_read(db: Database, user: User, resource_type: str, resource: str, default: str) -> bool:
    """Whether the user may read one resource (an experiment id, a model name) that exists."""
    if user.is_admin or allows(default, CAN_READ):
        return True
    with db.read() as tx:
        key = resource_key(tx, resource_type, resource)
        return key is not None and allows(effective_level(tx, user, resource_type, key, default), CAN_READ)


def _require_resource(tx: Tx, resource_type: str, resource: str) -> str:
    key = resource_key(tx, resource_type, resource)
    if key is None:
        raise NotFound(f"{_label(resource_type, resource)} not found.")
    return key


def _label(resource_type: str, resource: str) -> str:
    return f"experiment {resource}" if resource_type == EXPERIMENT else f"registered model '{resource}'"


def _record(tx: Tx, action: str, actor: Actor, resource_type: str, resource: str, username: str,
            permission: str | None, before: str | None = None, creator: bool = False) -> None:
    details: dict[str, object] = {"resource_type": resource_type, "resource": resource}
    if permission is not None:
        details["permission"] = permission
    if before is not None:
        details["previous"] = before
    if creator:
        details["creator"] = True
    audit.record(tx, action, actor, clock.now_ms(), username, details)


__all__ = ["EXPERIMENT", "NO_PERMISSIONS", "REGISTERED_MODEL", "RESOURCE_TYPES", "create_grant", "delete_grant",
           "effective_level", "get_grant", "grant_creator", "may_read", "readable_keys", "set_grant", "update_grant"]
