"""What ``cairn users``, ``cairn tokens`` and ``cairn permissions`` print: users with their
grants, tokens (never a secret, except the one line that mints it) and auth-log events."""

from __future__ import annotations

from typing import Any

from cairn.entities import ApiToken, AuthEvent, ResourceGrant, User


def user_doc(user: User) -> dict[str, Any]:
    return {"id": user.user_id, "username": user.username, "is_admin": user.is_admin,
            "is_service": user.is_service, "permissions": [grant_doc(g) for g in user.permissions]}


def grant_doc(grant: ResourceGrant) -> dict[str, Any]:
    return {"resource_type": grant.resource_type, "resource": grant.resource_key, "username": grant.username,
            "permission": grant.permission}


def token_doc(token: ApiToken) -> dict[str, Any]:
    return {"token_id": token.token_id, "username": token.username, "name": token.name,
            "scopes": list(token.scopes), "created": token.creation_timestamp,
            "expires": token.expiration_timestamp, "last_used": token.last_used_timestamp,
            "revoked": token.revoked_timestamp, "created_by": token.created_by}


def event_doc(event: AuthEvent) -> dict[str, Any]:
    return {"event_id": event.event_id, "timestamp": event.timestamp, "action": event.action,
            "actor": event.actor, "actor_id": event.actor_id, "actor_method": event.actor_method,
            "target": event.target, "details": dict(event.details)}
