"""Four-eyes on a server with --auth: under a policy that requires sign-off, a Production promotion
waits for a different signed-in user holding APPROVE on the model. The requester, a user with
EDIT or MANAGE, an admin without APPROVE and a token without the ``registry:approve`` scope are
refused with 403; the timeline then names both people, verified."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"


@pytest.fixture
def gated_model(admin_http: httpx.Client) -> tuple[str, str]:
    """A model with version 1 and a policy requiring sign-off for Production; (name, run id)."""
    name = f"gated-{uuid.uuid4().hex[:8]}"
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    run = admin_http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    assert admin_http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    assert admin_http.post(f"{API}/model-versions/create", json={
        "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]}).status_code == 200
    policy = admin_http.post(f"{CAIRN}/models/policy", json={"name": name, "policy": {"require_signoff": True}})
    assert policy.status_code == 200, policy.text
    return name, experiment_id


def promote(http: httpx.Client, name: str) -> dict[str, Any]:
    response = http.post(f"{CAIRN}/model-versions/promote",
                         json={"name": name, "version": 1, "stage": "Production", "reason": "better auc"})
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()["outcome"]
    return outcome


def approve(http: httpx.Client, name: str) -> httpx.Response:
    return http.post(f"{CAIRN}/transition-requests/approve", json={"name": name, "version": 1, "comment": "ok"})


def cli(server: Any, account: Any, *args: str) -> str:
    env = {**os.environ, "MLFLOW_TRACKING_USERNAME": account.username, "MLFLOW_TRACKING_PASSWORD": account.password,
           "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "cairn.cli", "--tracking-uri", server.url, *args],
                          check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_production_needs_a_different_user_holding_approve(
    auth_server: Any, admin_http: httpx.Client, new_account: Callable[..., Any], grant: Callable[..., None],
    mint_token: Callable[..., Any], gated_model: tuple[str, str],
) -> None:
    name, _ = gated_model
    alice, bob, carol = new_account("alice"), new_account("bob"), new_account("carol")
    grant("registered-models", name, alice.username, "EDIT")
    grant("registered-models", name, bob.username, "MANAGE")
    grant("registered-models", name, carol.username, "APPROVE")

    outcome = promote(alice.http, name)
    assert outcome["applied"] is False and outcome["request"]["requested_by"] == alice.username
    assert outcome["request"]["requested_by_verified"] is True

    carol_without_approve_scope = mint_token(carol.http, ["read", "registry:write"])["secret"]
    with httpx.Client(base_url=auth_server.url, headers={"Authorization": f"Bearer {carol_without_approve_scope}"},
                      timeout=30) as token_client:
        refusals = {who: approve(http, name) for who, http in [
            ("requester with EDIT", alice.http), ("MANAGE", bob.http), ("admin", admin_http),
            ("token without registry:approve", token_client)]}
    for who, response in refusals.items():
        assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED"), who
    assert "APPROVE" in refusals["MANAGE"].json()["message"]

    approved = approve(carol.http, name)
    assert approved.status_code == 200, approved.text
    assert approved.json()["outcome"]["model_version"]["current_stage"] == "Production"

    interval = admin_http.get(f"{CAIRN}/models/timeline", params={"name": name}).json()["intervals"][-1]
    assert (interval["label"], interval["started_by"], interval["started_by_verified"], interval["approved_by"]) == (
        "Production", alice.username, True, carol.username)
    shown = cli(auth_server, carol, "models", "timeline", name)
    assert alice.username in shown and carol.username in shown and "unverified" not in shown


def test_the_requester_cannot_approve_their_own_request(
    admin_http: httpx.Client, new_account: Callable[..., Any], grant: Callable[..., None],
    gated_model: tuple[str, str],
) -> None:
    name, _ = gated_model
    # An admin holding APPROVE may both promote and sign off, but never their own request.
    boss = new_account("boss", admin=True)
    grant("registered-models", name, boss.username, "APPROVE")
    assert promote(boss.http, name)["applied"] is False
    refused = approve(boss.http, name)
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert "cannot sign it off" in refused.json()["message"]


def test_a_policy_can_keep_the_versions_creator_from_approving(
    admin_http: httpx.Client, new_account: Callable[..., Any], grant: Callable[..., None],
    gated_model: tuple[str, str],
) -> None:
    name, experiment_id = gated_model
    dave, erin = new_account("dave"), new_account("erin")
    grant("experiments", experiment_id, dave.username, "READ")
    grant("registered-models", name, dave.username, "EDIT")
    grant("registered-models", name, erin.username, "EDIT")
    run = admin_http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    created = dave.http.post(f"{API}/model-versions/create", json={
        "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]})
    assert created.status_code == 200 and created.json()["model_version"]["user_id"] == dave.username
    policy = {"require_signoff": True, "signoff_excludes_creator": True}
    assert admin_http.post(f"{CAIRN}/models/policy", json={"name": name, "policy": policy}).status_code == 200
    response = erin.http.post(f"{CAIRN}/model-versions/promote", json={"name": name, "version": 2, "stage": "Production"})
    assert response.json()["outcome"]["applied"] is False
    grant_update = admin_http.patch(f"{API}/registered-models/permissions/update",
                                    json={"name": name, "username": dave.username, "permission": "APPROVE"})
    assert grant_update.status_code == 200
    refused = dave.http.post(f"{CAIRN}/transition-requests/approve", json={"name": name, "version": 2})
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert "created version 2" in refused.json()["message"]
