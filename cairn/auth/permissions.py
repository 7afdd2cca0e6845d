"""Permissions: what each level allows on one experiment or registered model, and the scopes that
narrow what an API token may do.

Levels, as MLflow's basic-auth app has them, plus APPROVE:

    READ     read
    EDIT     read, update (log runs, register versions, promote, set aliases)
    MANAGE   read, update, delete, manage (grant permissions on the resource)
    APPROVE  read, approve (sign off a transition another user requested)

APPROVE is a separate right: EDIT, MANAGE and being an admin do not imply it, so the person
who may promote and the person who may sign off can be kept apart (four-eyes). Admins may do
everything else on every resource.

A token's rights are its owner's, intersected with its scopes.
"""

from __future__ import annotations

from cairn.errors import InvalidParameter

READ, EDIT, MANAGE, APPROVE = "READ", "EDIT", "MANAGE", "APPROVE"
NO_PERMISSIONS = "NO_PERMISSIONS"
LEVELS = (READ, EDIT, MANAGE, APPROVE)

# capabilities a route asks for
CAN_READ, CAN_UPDATE, CAN_DELETE, CAN_MANAGE, CAN_APPROVE = "read", "update", "delete", "manage", "approve"
# reject (or withdraw) a pending request: whoever may promote or sign off
CAN_DECIDE = "decide"

_ALLOWS: dict[str, frozenset[str]] = {
    READ: frozenset({CAN_READ}),
    EDIT: frozenset({CAN_READ, CAN_UPDATE}),
    MANAGE: frozenset({CAN_READ, CAN_UPDATE, CAN_DELETE, CAN_MANAGE}),
    APPROVE: frozenset({CAN_READ, CAN_APPROVE}),
    NO_PERMISSIONS: frozenset(),
}
_ADMIN_ALLOWS = _ALLOWS[MANAGE]

# token scopes
SCOPE_READ, SCOPE_WRITE = "read", "write"
SCOPE_REGISTRY_WRITE, SCOPE_REGISTRY_APPROVE = "registry:write", "registry:approve"
SCOPE_ADMIN = "admin"
SCOPES = (SCOPE_READ, SCOPE_WRITE, SCOPE_REGISTRY_WRITE, SCOPE_REGISTRY_APPROVE, SCOPE_ADMIN)
SCOPE_HELP = {
    SCOPE_READ: "read experiments, runs, artifacts and models the owner may read",
    SCOPE_WRITE: "create experiments and runs, log to them, upload artifacts",
    SCOPE_REGISTRY_WRITE: "register models and versions, promote, set aliases, change deployments",
    SCOPE_REGISTRY_APPROVE: "sign off transition requests (the owner also needs APPROVE)",
    SCOPE_ADMIN: "manage users and permissions (the owner must be an admin or hold MANAGE)",
}


def allows(level: str, capability: str, *, is_admin: bool = False) -> bool:
    """Whether holding ``level`` (or being an admin) gives ``capability``."""
    held = _ALLOWS.get(level, frozenset())
    if is_admin:
        held = held | _ADMIN_ALLOWS
    if capability == CAN_DECIDE:
        return CAN_UPDATE in held or CAN_APPROVE in held
    return capability in held


def validate_level(permission: object) -> str:
    """A grantable level (READ, EDIT, MANAGE, APPROVE); ``InvalidParameter`` otherwise."""
    if not isinstance(permission, str) or permission.upper() not in LEVELS:
        raise InvalidParameter(f"Unknown permission {permission!r}; use one of {', '.join(LEVELS)}.")
    return permission.upper()


def validate_default_level(permission: str | None) -> str:
    """The server's permission for resources a user has no grant on: NO_PERMISSIONS (the
    default), READ, EDIT or MANAGE (APPROVE is only ever granted per model)."""
    if permission is None or permission.upper() in ("", "NONE", NO_PERMISSIONS):
        return NO_PERMISSIONS
    level = validate_level(permission)
    if level == APPROVE:
        raise InvalidParameter("APPROVE cannot be a default permission; grant it per model.")
    return level


def validate_scopes(scopes: object) -> tuple[str, ...]:
    """Token scopes: a non-empty list (or comma-separated string) of known scopes."""
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    if not isinstance(items, (list, tuple)) or not items:
        raise InvalidParameter(f"A token needs at least one scope: {', '.join(SCOPES)}.")
    found = []
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else item
        if name not in SCOPES:
            raise InvalidParameter(f"Unknown token scope {item!r}; use one or more of {', '.join(SCOPES)}.")
        if name not in found:
            found.append(name)
    return tuple(found)
