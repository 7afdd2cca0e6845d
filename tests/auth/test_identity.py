"""Identity everywhere: with --auth every registry event, run, deployment change and webhook change
records the signed-in principal (user or token id, and how it signed in), never a name the client
states; changes to users, tokens, grants and webhooks go to the append-only auth log, without
secrets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cairn.errors import InvalidParameter
from cairn.store.database import open_database

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"


def events(http: httpx.Client, name: str) -> list[dict[str, Any]]:
    response = http.get(f"{CAIRN}/models/audit", params={"name": name})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["events"]
    return found


def test_registry_events_record_the_signed_in_principal_not_a_stated_name(
    auth_server: Any, new_account: Callable[..., Any], mint_token: Callable[..., Any]
) -> None:
    bob = new_account("bob")
    me = bob.http.get(f"{API}/users/current").json()["user"]
    name = f"who-{uuid.uuid4().hex[:8]}"
    stated = {"X-Cairn-User": "mallory"}
    assert bob.http.post(f"{API}/registered-models/create", json={"name": name}, headers=stated).status_code == 200
    token = mint_token(bob.http, ["read", "registry:write"])
    with httpx.Client(base_url=auth_server.url, timeout=30,
                      headers={"Authorization": f"Bearer {token['secret']}", **stated}) as client:
        assert client.post(f"{API}/registered-models/rename", json={"name": name, "new_name": name + "-2"}
                           ).status_code == 200
    name += "-2"
    trail = [(e["action"], e["actor"], e["actor_verified"], e["actor_id"], e["actor_method"])
             for e in events(bob.http, name)]
    assert trail[0][1:] == (bob.username, True, f"user:{me['id']}", "password")
    assert trail[-1][1:] == (bob.username, True, f"token:{token['token']['token_id']}", "token")
    assert all(actor != "mallory" for _, actor, *_ in trail)


def test_deployment_changes_record_the_principal(admin_http: httpx.Client, new_account: Callable[..., Any]) -> None:
    bob = new_account("bob")
    name = f"deployed-{uuid.uuid4().hex[:8]}"
    experiment_id = bob.http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    run = bob.http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    assert bob.http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    assert bob.http.post(f"{API}/model-versions/create", json={
        "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]}).status_code == 200
    assert bob.http.post(f"{API}/registered-models/alias", json={"name": name, "alias": "prod", "version": "1"}
                         ).status_code == 200
    deployed = bob.http.post(f"{CAIRN}/deployments/set", json={"name": name, "primary_alias": "prod"})
    assert deployed.status_code == 200, deployed.text
    last = events(bob.http, name)[-1]
    assert (last["action"], last["actor"], last["actor_verified"], last["actor_method"]) == (
        "deployment_set", bob.username, True, "password")


@pytest.fixture
def auth_log(admin_http: httpx.Client) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        response = admin_http.get(f"{CAIRN}/auth/events", params={"max_results": 200})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["events"]
        return found

    return read


def test_user_token_grant_and_webhook_changes_go_to_the_auth_log_without_secrets(
    auth_server: Any, admin_http: httpx.Client, auth_log: Callable[[], list[dict[str, Any]]],
    mint_token: Callable[..., Any], receiver: Any,
) -> None:
    name, password = f"logged-{uuid.uuid4().hex[:8]}", f"secret-password-{uuid.uuid4().hex}"
    assert admin_http.post(f"{API}/users/create", json={"username": name, "password": password}).status_code == 200
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    assert admin_http.post(f"{API}/experiments/permissions/create", json={
        "experiment_id": experiment_id, "username": name, "permission": "READ"}).status_code == 200
    with httpx.Client(base_url=auth_server.url, auth=(name, password), timeout=30) as user_http:
        minted = mint_token(user_http, ["read"])
        assert user_http.post(f"{CAIRN}/tokens/revoke", json={"token_id": minted["token"]["token_id"]}
                              ).status_code == 200
    hook = admin_http.post(f"{CAIRN}/webhooks", json={"name": "ci", "url": receiver.url, "allow_private": True,
                                                      "events": ["model_version.created"], "secret": "s" * 20})
    assert hook.status_code == 200, hook.text
    hook_id = hook.json()["webhook"]["webhook_id"]
    assert admin_http.delete(f"{CAIRN}/webhooks/{hook_id}").status_code == 200

    mine = [e for e in auth_log() if e["target"] in (name, hook_id)]
    assert [e["action"] for e in mine] == ["user.created", "permission.created", "token.created", "token.revoked",
                                           "webhook.created", "webhook.deleted"]
    assert {(e["actor"], e["actor_method"]) for e in mine[:2] + mine[4:]} == {("admin", "password")}
    assert {(e["actor"], e["actor_method"]) for e in mine[2:4]} == {(name, "password")}
    text = str(mine)
    assert password not in text and minted["secret"] not in text and "s" * 20 not in text
    # Append-only below the API too: the database refuses to change or remove an entry.
    db = open_database(auth_server.store_uri)
    try:
        with pytest.raises(InvalidParameter), db.write() as conn:
            conn.execute(sa.text("DELETE FROM auth_events"))
        with db.read() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM auth_events")).scalar() >= len(mine)
    finally:
        db.close()


def test_only_admins_read_the_auth_log(new_account: Callable[..., Any]) -> None:
    refused = new_account("bob").http.get(f"{CAIRN}/auth/events")
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
