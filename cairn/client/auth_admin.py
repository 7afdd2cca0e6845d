"""Managing users, API tokens and permissions on a server with ``--auth``, over its HTTP API
(MLflow's user and permission routes, Cairn's token routes), signed in with the credentials of
the environment (see ``backends.rest_transport``). ``cairn users``, ``cairn tokens`` and
``cairn permissions`` use it for ``http(s)://`` tracking URIs.
"""

from __future__ import annotations

import os
from typing import Any

from cairn.entities import ApiToken, AuthEvent, ResourceGrant, User

from .backends.rest_transport import CAIRN, ENV_PASSWORD, ENV_USERNAME, RestTransport, given

MLFLOW = "/api/2.0/mlflow"
MLFLOW_V3 = "/api/3.0/mlflow"
EXPERIMENT, REGISTERED_MODEL = "experiment", "registered_model"


class RestAuthAdmin(RestTransport):
    """User, token and permission management against the server at ``uri``."""

    # users ---------------------------------------------------------------------------------
    def create_user(self, username: str, password: str | None, *, is_admin: bool = False,
                    is_service: bool = False) -> User:
        body = given(username=username, password=password, is_service=is_service or None,
                     is_admin=is_admin or None)
        return user_from_wire(self._request("POST", MLFLOW + "/users/create", body)["user"])

    def get_user(self, username: str) -> User:
        return user_from_wire(self._request("GET", MLFLOW + "/users/get", params={"username": username})["user"])

    def current_user(self) -> User:
        return user_from_wire(self._request("GET", MLFLOW + "/users/current")["user"])

    def list_users(self) -> list[User]:
        return [user_from_wire(u) for u in self._request("GET", MLFLOW + "/users/list").get("users", [])]

    def set_password(self, username: str, password: str) -> None:
        body: dict[str, Any] = {"username": username, "password": password}
        # Changing one's own password needs the current one: the password this client signed in with.
        if username == os.environ.get(ENV_USERNAME) and os.environ.get(ENV_PASSWORD):
            body["current_password"] = os.environ[ENV_PASSWORD]
        self._request("PATCH", MLFLOW + "/users/update-password", body)

    def set_admin(self, username: str, is_admin: bool) -> None:
        self._request("PATCH", MLFLOW + "/users/update-admin", {"username": username, "is_admin": is_admin})

    def delete_user(self, username: str) -> None:
        self._request("DELETE", MLFLOW + "/users/delete", {"username": username})

    # tokens --------------------------------------------------------------------------------
    def create_token(self, name: str, scopes: list[str], expires: str,
                     username: str | None = None) -> tuple[ApiToken, str]:
        body = given(name=name, scopes=scopes, expires=expires, username=username)
        found = self._request("POST", CAIRN + "/tokens/create", body)
        return token_from_wire(found["token"]), str(found["secret"])

    def list_tokens(self, username: str | None = None, everyone: bool = False) -> list[ApiToken]:
        params = given(username=username, all="true" if everyone else None)
        return [token_from_wire(t) for t in self._request("GET", CAIRN + "/tokens/list", params=params or None)
                .get("tokens", [])]

    def revoke_token(self, token_id: str) -> ApiToken:
        return token_from_wire(self._request("POST", CAIRN + "/tokens/revoke", {"token_id": token_id})["token"])

    # permissions ---------------------------------------------------------------------------
    def grant(self, resource_type: str, resource: str, username: str, permission: str) -> None:
        body = {"username": username, "resource_type": resource_type, "resource_id": resource,
                "permission": permission}
        self._request("POST", MLFLOW_V3 + "/users/permissions/grant", body)

    def revoke(self, resource_type: str, resource: str, username: str) -> None:
        body = {"username": username, "resource_type": resource_type, "resource_id": resource}
        self._request("POST", MLFLOW_V3 + "/users/permissions/revoke", body)

    def list_events(self, max_results: int) -> list[AuthEvent]:
        found = self._request("GET", CAIRN + "/auth/events", params={"max_results": max_results})
        return [AuthEvent(e["event_id"], e["timestamp"], e["action"], e["actor"], e.get("actor_id"),
                          e.get("actor_method"), e.get("target"), dict(e.get("details") or {}))
                for e in found.get("events", [])]


def user_from_wire(u: dict[str, Any]) -> User:
    grants = [
        *(ResourceGrant(EXPERIMENT, str(p["experiment_id"]), int(p["user_id"]), u["username"], p["permission"])
          for p in u.get("experiment_permissions", [])),
        *(ResourceGrant(REGISTERED_MODEL, p["name"], int(p["user_id"]), u["username"], p["permission"])
          for p in u.get("registered_model_permissions", [])),
    ]
    return User(int(u["id"]), u["username"], bool(u.get("is_admin")), bool(u.get("is_service")), 0, 0,
                tuple(grants))


def token_from_wire(t: dict[str, Any]) -> ApiToken:
    return ApiToken(
        token_id=t["token_id"], user_id=0, username=t["username"], name=t["name"], scopes=tuple(t["scopes"]),
        creation_timestamp=int(t["creation_timestamp"]), expiration_timestamp=int(t["expiration_timestamp"]),
        created_by=t["created_by"], last_used_timestamp=t.get("last_used_timestamp"),
        revoked_timestamp=t.get("revoked_timestamp"),
    )
