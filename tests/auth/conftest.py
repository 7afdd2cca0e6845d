"""A real ``cairn server --auth`` subprocess per session, its first admin created against its
store while it runs (as ``cairn users create-admin`` does), and helpers that create users and
sign in as them over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cairn.auth import users
from cairn.auth.admin import store_actor
from cairn.store.database import open_database

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"
ADMIN = "admin"
ADMIN_PASSWORD = "an admin passphrase for tests"


@dataclass
class Account:
    username: str
    password: str
    http: httpx.Client


def create_admin(server: Any, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    db = open_database(server.store_uri)
    try:
        users.create_admin(db, username, password, store_actor())
    finally:
        db.close()


@pytest.fixture(scope="session")
def auth_server(server_factory: Callable[..., Any]) -> Any:
    server = server_factory("--auth", "--allow-private-webhook-targets")
    create_admin(server)
    return server


@pytest.fixture
def fresh_auth_server(server_factory: Callable[..., Any]) -> Callable[..., Any]:
    """Start another ``cairn server --auth`` (its own store and failed-login counters); with
    ``admin=False`` it has no user at all."""

    def start(*extra: str, admin: bool = True) -> Any:
        server = server_factory("--auth", *extra)
        if admin:
            create_admin(server)
        return server

    return start


@pytest.fixture(scope="session")
def admin_http(auth_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=auth_server.url, auth=(ADMIN, ADMIN_PASSWORD), timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def anonymous(auth_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=auth_server.url, timeout=60) as client:
        yield client


@pytest.fixture
def new_account(auth_server: Any, admin_http: httpx.Client) -> Iterator[Callable[..., Account]]:
    """Create a user (as the admin, through MLflow's user API) and a client signed in as them."""
    opened: list[httpx.Client] = []

    def create(prefix: str = "user", admin: bool = False) -> Account:
        username, password = f"{prefix}-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        response = admin_http.post(f"{API}/users/create", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        if admin:
            made = admin_http.patch(f"{API}/users/update-admin", json={"username": username, "is_admin": True})
            assert made.status_code == 200, made.text
        client = httpx.Client(base_url=auth_server.url, auth=(username, password), timeout=60)
        opened.append(client)
        return Account(username, password, client)

    yield create
    for client in opened:
        client.close()


@pytest.fixture(scope="session")
def grant(admin_http: httpx.Client) -> Callable[[str, str, str, str], None]:
    """Grant as the admin through MLflow 2's per-resource permission routes:
    ``grant("experiments", "3", "bob", "READ")`` or ``grant("registered-models", "churn", ...)``."""

    def give(kind: str, resource: str, username: str, permission: str) -> None:
        field = "experiment_id" if kind == "experiments" else "name"
        response = admin_http.post(f"{API}/{kind}/permissions/create",
                                   json={field: resource, "username": username, "permission": permission})
        assert response.status_code == 200, response.text

    return give


@pytest.fixture(scope="session")
def mint_token() -> Callable[..., dict[str, Any]]:
    """Mint a token with a password-signed-in client; returns ``{"token": ..., "secret": ...}``."""

    def mint(http: httpx.Client, scopes: list[str], expires: str = "30d", **fields: object) -> dict[str, Any]:
        response = http.post(f"{CAIRN}/tokens/create",
                             json={"name": f"token-{uuid.uuid4().hex[:8]}", "scopes": scopes, "expires": expires,
                                   **fields})
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    return mint
