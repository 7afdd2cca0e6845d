"""API tokens: minted only from a password sign-in, shown once and stored only as a hash, refused
once expired or revoked, limited by their scopes, and usable by service accounts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text

from cairn.store.database import open_database
from tests.backends import store_bytes

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"


def bearer(server: Any, secret: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def test_the_secret_is_shown_once_and_appears_nowhere_in_the_database_or_logs(
    auth_server: Any, new_account: Callable[..., Any], mint_token: Callable[..., Any]
) -> None:
    bob = new_account("bob")
    minted = mint_token(bob.http, ["read"])
    secret = minted["secret"]
    assert secret.startswith("cairn_pat_") and minted["token"]["scopes"] == ["read"]
    with bearer(auth_server, secret) as client:
        assert client.get("/version").status_code == 200
        listed = client.get(f"{CAIRN}/tokens/list").json()["tokens"]
    assert [t["token_id"] for t in listed] == [minted["token"]["token_id"]] and secret not in str(listed)
    assert listed[0]["last_used_timestamp"] is not None
    random_part = secret.split("_", 3)[3].encode()  # the 43 random characters, which may hold "_" too
    for where, content in (("store", store_bytes(auth_server.store_uri)), ("log", auth_server.log_path.read_bytes())):
        assert secret.encode() not in content and random_part not in content, where


def test_a_token_cannot_mint_another(auth_server: Any, new_account: Callable[..., Any],
                                     mint_token: Callable[..., Any]) -> None:
    secret = mint_token(new_account("bob").http, ["read", "write", "admin"])["secret"]
    with bearer(auth_server, secret) as client:
        refused = client.post(f"{CAIRN}/tokens/create", json={"name": "x", "scopes": ["read"], "expires": "1d"})
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert "password" in refused.json()["message"]


def test_revoked_and_expired_tokens_are_refused(auth_server: Any, new_account: Callable[..., Any],
                                                mint_token: Callable[..., Any]) -> None:
    bob = new_account("bob")
    revoked, expired = mint_token(bob.http, ["read"]), mint_token(bob.http, ["read"])
    assert bob.http.post(f"{CAIRN}/tokens/revoke", json={"token_id": revoked["token"]["token_id"]}).status_code == 200
    # The clock cannot be moved in another process: the expiry is moved into the past instead.
    db = open_database(auth_server.store_uri)
    with db.write() as conn:
        conn.execute(text("UPDATE api_tokens SET expiration_time = 1 WHERE token_id = :token"),
                     {"token": expired["token"]["token_id"]})
    db.close()
    for minted in (revoked, expired):
        with bearer(auth_server, minted["secret"]) as client:
            response = client.get("/version")
        assert (response.status_code, response.json()["error_code"]) == (401, "UNAUTHENTICATED")
    with bearer(auth_server, "cairn_pat_" + "0" * 16 + "_" + "A" * 43) as client:
        assert client.get("/version").status_code == 401


def test_scopes_limit_what_a_token_may_do(auth_server: Any, new_account: Callable[..., Any],
                                          mint_token: Callable[..., Any]) -> None:
    bob = new_account("bob", admin=True)
    experiment_id = bob.http.post(f"{API}/experiments/create", json={"name": f"s-{uuid.uuid4().hex[:8]}"}).json()[
        "experiment_id"]
    read_only = mint_token(bob.http, ["read"])["secret"]
    tracking = mint_token(bob.http, ["read", "write"])["secret"]
    with bearer(auth_server, read_only) as client:
        assert client.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).status_code == 200
        refused = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
        assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
        assert "scope" in refused.json()["message"]
    with bearer(auth_server, tracking) as client:
        assert client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).status_code == 200
        assert client.post(f"{API}/registered-models/create", json={"name": f"m-{uuid.uuid4().hex}"}).status_code == 403
        # The owner is an admin, but the token lacks the admin scope.
        assert client.post(f"{API}/users/create", json={"username": "x-y", "password": "p" * 12}).status_code == 403


def test_expiry_is_required_and_at_most_a_year(new_account: Callable[..., Any]) -> None:
    bob = new_account("bob")
    for expires in (None, "0d", "400d", "2y", "soon"):
        body = {"name": "ci", "scopes": ["read"], **({"expires": expires} if expires else {})}
        response = bob.http.post(f"{CAIRN}/tokens/create", json=body)
        assert (response.status_code, response.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), expires
    unknown_scope = bob.http.post(f"{CAIRN}/tokens/create", json={"name": "ci", "scopes": ["root"], "expires": "1d"})
    assert unknown_scope.status_code == 400


def test_a_service_account_signs_in_only_with_tokens_an_admin_mints(
    auth_server: Any, admin_http: httpx.Client, mint_token: Callable[..., Any], new_account: Callable[..., Any]
) -> None:
    name = f"ci-bot-{uuid.uuid4().hex[:6]}"
    created = admin_http.post(f"{API}/users/create", json={"username": name, "is_service": True})
    assert created.status_code == 200 and created.json()["user"]["is_service"] is True
    minted = mint_token(admin_http, ["read", "write"], username=name)
    assert minted["token"]["username"] == name and minted["token"]["created_by"] == "admin"
    with bearer(auth_server, minted["secret"]) as client:
        me = client.get(f"{API}/users/current").json()
        assert (me["user"]["username"], me["auth_method"]) == (name, "token")
        experiment_id = client.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
        run = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id, "user_id": "someone-else"})
        assert run.json()["run"]["info"]["user_id"] == name
    # A token as the password of HTTP Basic (MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD) works too.
    assert httpx.get(auth_server.url + "/version", auth=(name, minted["secret"])).status_code == 200
    assert httpx.get(auth_server.url + "/version", auth=("admin", minted["secret"])).status_code == 401
    # Someone else's tokens are not for a non-admin to mint.
    bob = new_account("bob")
    assert bob.http.post(f"{CAIRN}/tokens/create", json={
        "name": "x", "scopes": ["read"], "expires": "1d", "username": name}).status_code == 403
