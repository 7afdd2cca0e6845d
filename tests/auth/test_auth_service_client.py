"""MLflow's ``AuthServiceClient`` (``mlflow.server.get_app_client("basic-auth", uri)``), unmodified,
against Cairn: users are created, read, changed and deleted, and the grants it makes take effect.
MLflow 2's per-resource permission routes answer with MLflow's shapes, APPROVE included."""

from __future__ import annotations

import importlib.util
import sys
import types
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client

# Loading the client imports mlflow's whole auth app, whose Starlette import warns.
pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated")

API = "/api/2.0/mlflow"
ADMIN, ADMIN_PASSWORD = "admin", "an admin passphrase for tests"


def without_mlflows_auth_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``mlflow.server.auth.client`` load where mlflow's own auth *server* cannot: that
    package's ``__init__`` builds MLflow's Flask auth app and needs Flask-WTF (``mlflow[auth]``),
    which the client never uses. The package is registered without running its ``__init__``; the
    client module and everything it imports are MLflow's own, unmodified."""
    if importlib.util.find_spec("flask_wtf") is not None or "mlflow.server.auth" in sys.modules:
        return
    spec = importlib.util.find_spec("mlflow.server")
    assert spec is not None and spec.submodule_search_locations
    package = types.ModuleType("mlflow.server.auth")
    package.__path__ = [str(Path(next(iter(spec.submodule_search_locations))) / "auth")]
    monkeypatch.setitem(sys.modules, "mlflow.server.auth", package)
    for name in ("client", "entities", "routes", "permissions"):
        monkeypatch.delitem(sys.modules, f"mlflow.server.auth.{name}", raising=False)


@pytest.fixture
def auth_client(auth_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    without_mlflows_auth_server(monkeypatch)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    return get_app_client("basic-auth", auth_server.url)


def status_as(server: Any, username: str, password: str, path: str, **params: str) -> int:
    return httpx.get(server.url + path, params=params, auth=(username, password), timeout=30).status_code


def test_auth_service_client_creates_reads_changes_and_deletes_users(auth_client: Any, auth_server: Any) -> None:
    name, password = f"svc-{uuid.uuid4().hex[:8]}", "first password 123"
    created = auth_client.create_user(name, password)
    assert (created.username, created.is_admin, created.password_hash) == (name, False, "REDACTED")
    assert auth_client.get_user(name).id == created.id
    assert status_as(auth_server, name, password, "/version") == 200

    auth_client.update_user_password(name, "second password 456")
    assert status_as(auth_server, name, password, "/version") == 401
    assert status_as(auth_server, name, "second password 456", "/version") == 200

    auth_client.update_user_admin(name, True)
    assert auth_client.get_user(name).is_admin is True
    auth_client.delete_user(name)
    assert status_as(auth_server, name, "second password 456", "/version") == 401
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        auth_client.get_user(name)


def test_grants_made_by_auth_service_client_take_effect(auth_client: Any, auth_server: Any,
                                                        admin_http: httpx.Client) -> None:
    name, password = f"reader-{uuid.uuid4().hex[:8]}", "reader password 123"
    auth_client.create_user(name, password)
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": f"granted-{name}"}).json()[
        "experiment_id"]
    path = f"{API}/experiments/get"
    assert status_as(auth_server, name, password, path, experiment_id=experiment_id) == 403

    auth_client.grant_user_permission(name, "experiment", experiment_id, "READ")
    assert status_as(auth_server, name, password, path, experiment_id=experiment_id) == 200
    found = auth_client.get_user_permission(name, "experiment", experiment_id)
    assert (found.permission, found.allowed) == ("READ", False)

    auth_client.revoke_user_permission(name, "experiment", experiment_id)
    assert status_as(auth_server, name, password, path, experiment_id=experiment_id) == 403


def test_auth_service_client_grants_approve_on_a_model(auth_client: Any, admin_http: httpx.Client) -> None:
    name, model = f"approver-{uuid.uuid4().hex[:8]}", f"model-{uuid.uuid4().hex[:8]}"
    auth_client.create_user(name, "approver password 1")
    assert admin_http.post(f"{API}/registered-models/create", json={"name": model}).status_code == 200
    auth_client.grant_user_permission(name, "registered_model", model, "APPROVE")
    assert auth_client.get_user_permission(name, "registered_model", model).permission == "APPROVE"
    user = admin_http.get(f"{API}/users/get", params={"username": name}).json()["user"]
    assert user["registered_model_permissions"] == [{"name": model, "user_id": user["id"], "permission": "APPROVE"}]


def test_per_resource_permission_routes_answer_with_mlflows_shapes(admin_http: httpx.Client,
                                                                   new_account: Callable[..., Any]) -> None:
    bob = new_account("bob")
    model = f"shaped-{uuid.uuid4().hex[:8]}"
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": model}).json()["experiment_id"]
    assert admin_http.post(f"{API}/registered-models/create", json={"name": model}).status_code == 200
    user_id = admin_http.get(f"{API}/users/get", params={"username": bob.username}).json()["user"]["id"]

    created = admin_http.post(f"{API}/experiments/permissions/create",
                              json={"experiment_id": experiment_id, "username": bob.username, "permission": "EDIT"})
    assert created.json() == {"experiment_permission": {
        "experiment_id": experiment_id, "user_id": user_id, "permission": "EDIT"}}
    again = admin_http.post(f"{API}/experiments/permissions/create",
                            json={"experiment_id": experiment_id, "username": bob.username, "permission": "EDIT"})
    assert (again.status_code, again.json()["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")

    body = {"name": model, "username": bob.username}
    assert admin_http.post(f"{API}/registered-models/permissions/create",
                           json={**body, "permission": "READ"}).status_code == 200
    updated = admin_http.patch(f"{API}/registered-models/permissions/update", json={**body, "permission": "APPROVE"})
    assert updated.status_code == 200 and updated.json()["registered_model_permission"]["permission"] == "APPROVE"
    got = admin_http.get(f"{API}/registered-models/permissions/get", params=body).json()
    assert got == {"registered_model_permission": {"name": model, "user_id": user_id, "permission": "APPROVE"}}
    deleted = admin_http.request("DELETE", f"{API}/registered-models/permissions/delete", json=body)
    assert (deleted.status_code, deleted.json()) == (200, {})
    missing = admin_http.get(f"{API}/registered-models/permissions/get", params=body)
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    unknown = admin_http.post(f"{API}/registered-models/permissions/create", json={**body, "permission": "OWNER"})
    assert (unknown.status_code, unknown.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_only_admins_create_users_and_sign_up_is_closed(anonymous: httpx.Client,
                                                        new_account: Callable[..., Any]) -> None:
    bob = new_account("bob")
    body = {"username": f"x-{uuid.uuid4().hex[:8]}", "password": "a password 12345"}
    assert anonymous.post(f"{API}/users/create", json=body).status_code == 401
    refused = bob.http.post(f"{API}/users/create", json=body)
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert anonymous.get("/signup").status_code == 401


def test_changing_your_own_password_needs_the_current_one(new_account: Callable[..., Any], auth_server: Any) -> None:
    bob = new_account("bob")
    other = bob.http.patch(f"{API}/users/update-password", json={"username": "admin", "password": "taken over 123"})
    assert other.status_code == 403
    body = {"username": bob.username, "password": "a brand new password"}
    refused = bob.http.patch(f"{API}/users/update-password", json=body)
    assert (refused.status_code, refused.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    changed = bob.http.patch(f"{API}/users/update-password", json={**body, "current_password": bob.password})
    assert changed.status_code == 200
    assert status_as(auth_server, bob.username, "a brand new password", "/version") == 200
    assert status_as(auth_server, bob.username, bob.password, "/version") == 401
