"""MLflow's permission API, mounted on a server with ``--auth``:
/mlflow/experiments/permissions/{create,get,update,delete} and
/mlflow/registered-models/permissions/{create,get,update,delete} (MLflow 2's shapes), and the
MLflow 3 per-user routes /mlflow/users/permissions/{grant,revoke,get} that today's
``AuthServiceClient`` calls. Permissions are READ, EDIT, MANAGE and APPROVE (models only has
meaning for APPROVE); the rules are in ``cairn.auth.grants``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cairn.auth import grants, users
from cairn.auth.grants import EXPERIMENT, REGISTERED_MODEL
from cairn.auth.permissions import CAN_UPDATE, allows
from cairn.entities import ResourceGrant
from cairn.errors import InvalidParameter, NotFound

from .decoders import request_fields
from .fields import Fields
from .routes_users import acting, grant_to_wire
from .state import db_of, state_of
from .wire import empty_response, wire_json

_KINDS = {
    EXPERIMENT: ("/mlflow/experiments/permissions", "experiment_id", "experiment_permission"),
    REGISTERED_MODEL: ("/mlflow/registered-models/permissions", "name", "registered_model_permission"),
}


def _wire(resource_type: str, grant: ResourceGrant) -> dict[str, Any]:
    return {_KINDS[resource_type][2]: grant_to_wire(grant)}


def _target(resource_type: str, f: Fields) -> tuple[str, str]:
    return f.required_string(_KINDS[resource_type][1]), f.required_string("username")


def _handlers(resource_type: str) -> list[tuple[str, list[str], Any]]:
    base = _KINDS[resource_type][0]

    async def create(request: Request) -> Response:
        f = await request_fields(request)
        (resource, username), permission = _target(resource_type, f), f.required_string("permission")
        grant = await run_in_threadpool(grants.create_grant, db_of(request), resource_type, resource, username,
                                        permission, acting(request).actor())
        return wire_json(_wire(resource_type, grant))

    async def get(request: Request) -> Response:
        f = await request_fields(request)
        resource, username = _target(resource_type, f)
        grant = await run_in_threadpool(grants.get_grant, db_of(request), resource_type, resource, username)
        return wire_json(_wire(resource_type, grant))

    async def update(request: Request) -> Response:
        f = await request_fields(request)
        (resource, username), permission = _target(resource_type, f), f.required_string("permission")
        grant = await run_in_threadpool(grants.update_grant, db_of(request), resource_type, resource, username,
                                        permission, acting(request).actor())
        return wire_json(_wire(resource_type, grant))

    async def delete(request: Request) -> Response:
        f = await request_fields(request)
        resource, username = _target(resource_type, f)
        await run_in_threadpool(grants.delete_grant, db_of(request), resource_type, resource, username,
                                acting(request).actor())
        return empty_response()

    return [(base + "/create", ["POST"], create), (base + "/get", ["GET"], get),
            (base + "/update", ["PATCH"], update), (base + "/delete", ["DELETE"], delete)]


# MLflow 3: one route per verb for every resource type ---------------------------------------

def _grant_target(f: Fields) -> tuple[str, str, str]:
    resource_type = f.required_string("resource_type")
    if resource_type not in (EXPERIMENT, REGISTERED_MODEL):
        raise InvalidParameter(f"Unsupported resource_type {resource_type!r}; use 'experiment' or 'registered_model'.")
    return resource_type, f.required_string("resource_id"), f.required_string("username")


async def grant_user_permission(request: Request) -> Response:
    f = await request_fields(request)
    resource_type, resource, username = _grant_target(f)
    permission = f.required_string("permission")
    await run_in_threadpool(grants.set_grant, db_of(request), resource_type, resource, username, permission,
                            acting(request).actor())
    return empty_response()


async def revoke_user_permission(request: Request) -> Response:
    f = await request_fields(request)
    resource_type, resource, username = _grant_target(f)
    await run_in_threadpool(grants.delete_grant, db_of(request), resource_type, resource, username,
                            acting(request).actor())
    return empty_response()


async def get_user_permission(request: Request) -> Response:
    """The user's effective permission (their grant, else the server's default); ``allowed`` is
    whether it lets them change the resource, as MLflow's ``allowed`` means its usage tier."""
    f = await request_fields(request)
    resource_type, resource, username = _grant_target(f)
    default = state_of(request).config.default_permission
    found = await run_in_threadpool(_effective, request, resource_type, resource, username, default)
    return wire_json({"allowed": allows(found, CAN_UPDATE), "permission": found})


def _effective(request: Request, resource_type: str, resource: str, username: str, default: str) -> str:
    try:
        return grants.get_grant(db_of(request), resource_type, resource, username).permission
    except NotFound:
        users.get_user(db_of(request), username)  # an unknown user is an error, an ungranted resource is not
        return default


ROUTES = [*_handlers(EXPERIMENT), *_handlers(REGISTERED_MODEL)]
V3_ROUTES = [
    ("/mlflow/users/permissions/grant", ["POST"], grant_user_permission),
    ("/mlflow/users/permissions/revoke", ["POST"], revoke_user_permission),
    ("/mlflow/users/permissions/get", ["GET"], get_user_permission),
]
