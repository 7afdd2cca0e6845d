"""The decision: may this principal make this request? ``authorize`` applies a route's ``Rule``
(from ``route_table``) to the resources the request names, as the server found them.

Refusals say what was missing (a scope, a permission, a password sign-in). A write naming a
resource that does not exist is judged by the default permission, like one the caller holds no
grant on. A read naming one that does not exist goes on to its handler, which answers 404, as
MLflow's server does: clients rely on it (``mlflow.set_experiment`` creates the experiment when
``get-by-name`` answers 404), so a signed-in user can tell whether a name is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cairn.errors import PermissionDenied
from cairn.store.auth_grants import EXPERIMENT
from cairn.store.database import Database

from . import grants
from .permissions import (
    APPROVE,
    CAN_APPROVE,
    CAN_DECIDE,
    CAN_DELETE,
    CAN_MANAGE,
    CAN_READ,
    CAN_UPDATE,
    EDIT,
    MANAGE,
    READ,
    SCOPE_ADMIN,
    allows,
)
from .principal import PASSWORD, Principal
from .route_table import Access, Check, Rule

_NEEDS = {
    CAN_READ: f"{READ}, {EDIT}, {MANAGE} or {APPROVE}",
    CAN_UPDATE: f"{EDIT} or {MANAGE}",
    CAN_DELETE: MANAGE,
    CAN_MANAGE: MANAGE,
    CAN_APPROVE: f"{APPROVE} (which {EDIT}, {MANAGE} and admin rights do not include)",
    CAN_DECIDE: f"{EDIT}, {MANAGE} or {APPROVE}",
}


@dataclass(frozen=True)
class Target:
    """A resource the request names: its check, its type, its grant key, and how to call it in
    a message. ``key`` is None when the request names no resource that exists; ``missing`` says
    it named one (an id, a name) that does not exist, rather than nothing readable at all."""

    check: Check
    resource_type: str
    key: str | None
    label: str
    missing: bool = False


def authorize(db: Database, principal: Principal, rule: Rule, targets: Sequence[Target], *,
              default_permission: str, subject: str | None = None) -> None:
    """Return when the request may go ahead; ``PermissionDenied`` saying why otherwise.
    ``subject`` is the user a SELF_OR_ADMIN route is about."""
    if rule.scopes and not any(principal.has_scope(s) for s in rule.scopes):
        raise PermissionDenied(
            f"This API token lacks the scope {' or '.join(repr(s) for s in rule.scopes)} this call needs; "
            "mint a token with it (`cairn tokens create --scope ...`)."
        )
    access = rule.access
    if access in (Access.PUBLIC, Access.SIGNED_IN, Access.FILTERED):
        return
    if access is Access.ADMIN:
        if not principal.is_admin:
            raise PermissionDenied(f"Only an admin may do this; {principal.username} is not one.")
        return
    if access is Access.PASSWORD_SESSION:
        if principal.method != PASSWORD:
            raise PermissionDenied("This needs a password sign-in; an API token cannot do it (e.g. mint tokens).")
        return
    if access is Access.SELF_OR_ADMIN:
        if subject == principal.username or (principal.is_admin and principal.has_scope(SCOPE_ADMIN)):
            return
        raise PermissionDenied(f"{principal.username} may only do this for their own account.")
    if access is Access.READ_ALL:
        if principal.is_admin or allows(default_permission, CAN_READ):
            return
        raise PermissionDenied("This call reads across experiments and models; only an admin may make it while "
                               "the server's default permission is NO_PERMISSIONS.")
    if access is Access.RESOURCE:
        _check_targets(db, principal, targets, default_permission)
        return
    raise PermissionDenied("This route has no access rule.")


def _check_targets(db: Database, principal: Principal, targets: Sequence[Target], default_permission: str) -> None:
    if not targets:
        raise PermissionDenied("This request names no resource to check permissions on.")
    with db.read() as tx:
        for target in targets:
            check = target.check
            if target.key is None and target.missing and (check.create_if_missing or check.capability == CAN_READ):
                continue
            level = grants.effective_level(tx, principal.user, target.resource_type, target.key, default_permission)
            if not allows(level, check.capability, is_admin=principal.is_admin):
                kind = "experiment" if target.resource_type == EXPERIMENT else "registered model"
                raise PermissionDenied(
                    f"{principal.username} may not {_verb(check.capability)} {kind} {target.label}: that needs "
                    f"{_NEEDS[check.capability]} on it."
                )


def _verb(capability: str) -> str:
    return {CAN_READ: "read", CAN_UPDATE: "change", CAN_DELETE: "delete", CAN_MANAGE: "manage",
            CAN_APPROVE: "approve transitions of", CAN_DECIDE: "decide on transitions of"}[capability]
