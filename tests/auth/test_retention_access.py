"""Who may change retention: a policy is managing its experiment; ``gc`` deletes across
experiments, so it is an admin's action."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"


def test_only_an_admin_may_collect_garbage(admin_http: httpx.Client, new_account: Callable[..., Any]) -> None:
    bob = new_account("bob")
    refused = bob.http.post(f"{CAIRN}/gc", json={"dry_run": True})
    assert refused.status_code == 403, refused.text
    allowed = admin_http.post(f"{CAIRN}/gc", json={"dry_run": True})
    assert allowed.status_code == 200 and allowed.json()["dry_run"] is True


def test_a_policy_is_set_by_who_manages_the_experiment(admin_http: httpx.Client, new_account: Callable[..., Any],
                                                       grant: Callable[..., None]) -> None:
    bob = new_account("bob")
    experiment_id = admin_http.post(f"{API}/experiments/create",
                                    json={"name": f"kept-{uuid.uuid4().hex[:8]}"}).json()["experiment_id"]
    grant("experiments", experiment_id, bob.username, "READ")
    body = {"experiment_id": experiment_id, "keep_last": 3}
    assert bob.http.get(f"{CAIRN}/experiments/retention", params={"experiment_id": experiment_id}).json() == {}
    assert bob.http.post(f"{CAIRN}/experiments/retention", json=body).status_code == 403
    raised = admin_http.patch(f"{API}/experiments/permissions/update",
                              json={"experiment_id": experiment_id, "username": bob.username, "permission": "MANAGE"})
    assert raised.status_code == 200, raised.text
    answer = bob.http.post(f"{CAIRN}/experiments/retention", json=body)
    assert answer.status_code == 200 and answer.json()["policy"]["updated_by"] == bob.username
