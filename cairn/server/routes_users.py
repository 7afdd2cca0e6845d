"""MLflow's user API (``AuthServiceClient``): /mlflow/users/{create,get,current,list,update-password,
update-admin,delete}, mounted on a server with ``--auth``. Who may call each route is in
``cairn.auth.route_table``; the rules are in ``cairn.auth.users``.

A user object always carries its permission lists, as MLflow's does, plus ``is_service``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.auth import users
from cairn.auth.grants import EXPERIMENT, REGISTERED_MODEL
from cairn.entities import ResourceGrant, User
from cairn.errors import CairnError

from .auth_context import principal_of
from .decoders import request_fields
from .fields import Fields
from .state import db_of
from .wire import empty_response, wire_json

BASE = "/mlflow/users"


def grant_to_wire(g: ResourceGrant) -> dict[str, Any]:
    if g.resource_type == EXPERIMENT:
        return {"experiment_id": g.resource_key, "user_id": g.user_id, "permission": g.permission}
    return {"name": g.resource_key, "user_id": g.user_id, "permission": g.permission}


def user_to_wire(u: User) -> dict[str, Any]:
    return {
        "id": u.user_id,
        "username": u.username,
        "is_admin": u.is_admin,
        "is_service": u.is_service,
        "experiment_permissions": [grant_to_wire(g) for g in u.permissions if g.resource_type == EXPERIMENT],
        "registered_model_permissions": [
            grant_to_wire(g) for g in u.permissions if g.resource_type == REGISTERED_MODEL],
    }


def acting(request: Request):  # type: ignore[no-untyped-def]
    principal = principal_of(request)
    if principal is None:
        raise CairnError("The user API is only mounted on a server with --auth.")
    return principal


def username_of(f: Fields) -> str:
    return f.required_string("username")


async def create_user(request: Request) -> Response:
    f = await request_fields(request)
    username, password = username_of(f), f.string("password")
    is_service = f.boolean("is_service")
    actor = acting(request).actor()
    created = await run_in_threadpool(
        lambda: users.create_user(db_of(request), username, password if not is_service else None, actor,
                                  is_admin=f.boolean("is_admin"), is_service=is_service))
    found = await run_in_threadpool(users.get_user, db_of(request), created.username)
    return wire_json({"user": user_to_wire(found)})


async def get_user(request: Request) -> Response:
    f = await request_fields(request)
    found = await run_in_threadpool(users.get_user, db_of(request), username_of(f))
    return wire_json({"user": user_to_wire(found)})


async def current_user(request: Request) -> Response:
    principal = acting(request)
    found = await run_in_threadpool(users.get_user, db_of(request), principal.username)
    return wire_json({"user": user_to_wire(found), "auth_method": principal.method,
                      "scopes": list(principal.scopes)})


async def list_users(request: Request) -> Response:
    found = await run_in_threadpool(users.list_users, db_of(request))
    return wire_json({"users": [{"id": u.user_id, "username": u.username, "is_admin": u.is_admin,
                                 "is_service": u.is_service} for u in found]})


async def update_password(request: Request) -> Response:
    f = await request_fields(request)
    username, password = username_of(f), f.required_string("password")
    principal = acting(request)
    await run_in_threadpool(
        lambda: users.update_password(db_of(request), username, password, principal.actor(),
                                      current_password=f.string("current_password"),
                                      self_service=username == principal.username))
    return empty_response()


async def update_admin(request: Request) -> Response:
    f = await request_fields(request)
    username, is_admin = username_of(f), f.boolean("is_admin")
    await run_in_threadpool(users.set_admin, db_of(request), username, is_admin, acting(request).actor())
    return empty_response()


async def delete_user(request: Request) -> Response:
    f = await request_fields(request)
    await run_in_threadpool(users.delete_user, db_of(request), username_of(f), acting(request).actor())
    return empty_response()


ROUTES = [
    (BASE + "/create", ["POST"], create_user),
    (BASE + "/get", ["GET"], get_user),
    (BASE + "/current", ["GET"], current_user),
    (BASE + "/list", ["GET"], list_users),
    (BASE + "/update-password", ["PATCH"], update_password),
    (BASE + "/update-admin", ["PATCH"], update_admin),
    (BASE + "/delete", ["DELETE"], delete_user),
]
