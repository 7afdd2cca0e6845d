"""Permissions per experiment and registered model: searches return only what the caller may read
(page by page, so a page token never reaches a hidden row), the creator of an experiment or
model gets MANAGE, EDIT does not include deleting, and resources without a grant are closed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"


def pages(http: httpx.Client, path: str, key: str, method: str = "GET", **body: Any) -> list[dict[str, Any]]:
    """Every item of a paged search, one item per page."""
    found: list[dict[str, Any]] = []
    token = None
    while True:
        fields = {**body, "max_results": 1, **({"page_token": token} if token else {})}
        response = http.request(method, path, **({"params": fields} if method == "GET" else {"json": fields}))
        assert response.status_code == 200, response.text
        payload = response.json()
        found += payload.get(key, [])
        token = payload.get("next_page_token")
        if not token:
            return found


def test_experiment_search_pages_through_only_what_the_caller_may_read(
    admin_http: httpx.Client, new_account: Callable[..., Any], grant: Callable[..., None]
) -> None:
    bob = new_account("bob")
    prefix = f"paged-{uuid.uuid4().hex[:8]}"
    ids = [admin_http.post(f"{API}/experiments/create", json={"name": f"{prefix}-{i}"}).json()["experiment_id"]
           for i in range(5)]
    for experiment_id in (ids[1], ids[3]):
        grant("experiments", experiment_id, bob.username, "READ")
    seen = pages(bob.http, f"{API}/experiments/search", "experiments", "POST", filter=f"name LIKE '{prefix}%'")
    assert sorted(e["experiment_id"] for e in seen) == sorted([ids[1], ids[3]])
    everything = pages(bob.http, f"{API}/experiments/search", "experiments", "POST")
    assert {e["experiment_id"] for e in everything} == {ids[1], ids[3]}


def test_model_and_version_searches_return_only_readable_models(
    admin_http: httpx.Client, new_account: Callable[..., Any], grant: Callable[..., None]
) -> None:
    bob = new_account("bob")
    prefix = f"paged-{uuid.uuid4().hex[:8]}"
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": prefix}).json()["experiment_id"]
    run = admin_http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        assert admin_http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
        assert admin_http.post(f"{API}/model-versions/create", json={
            "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]}).status_code == 200
    grant("registered-models", names[2], bob.username, "READ")

    models = pages(bob.http, f"{API}/registered-models/search", "registered_models", filter=f"name LIKE '{prefix}%'")
    assert [m["name"] for m in models] == [names[2]]
    assert [m["name"] for m in pages(bob.http, f"{API}/registered-models/search", "registered_models")] == [names[2]]
    versions = pages(bob.http, f"{API}/model-versions/search", "model_versions", filter=f"run_id = '{run['run_id']}'")
    assert [(v["name"], v["version"]) for v in versions] == [(names[2], "1")]
    # A token of the admin's pages cannot be replayed by bob to reach rows he may not see.
    first = admin_http.get(f"{API}/registered-models/search",
                           params={"filter": f"name LIKE '{prefix}%'", "max_results": 1}).json()
    replayed = bob.http.get(f"{API}/registered-models/search", params={
        "filter": f"name LIKE '{prefix}%'", "max_results": 1, "page_token": first["next_page_token"]})
    assert [m["name"] for m in replayed.json().get("registered_models", [])] in ([], [names[2]])
    assert names[0] not in replayed.text and names[1] not in replayed.text


def test_runs_search_naming_an_unreadable_experiment_is_refused(
    admin_http: httpx.Client, new_account: Callable[..., Any]
) -> None:
    bob = new_account("bob")
    hidden = admin_http.post(f"{API}/experiments/create", json={"name": f"hidden-{uuid.uuid4().hex[:8]}"}).json()
    refused = bob.http.post(f"{API}/runs/search", json={"experiment_ids": [hidden["experiment_id"]]})
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert bob.http.post(f"{API}/runs/search", json={}).status_code == 403


def test_the_creator_gets_manage_and_can_share(new_account: Callable[..., Any]) -> None:
    bob, carol = new_account("bob"), new_account("carol")
    name = f"shared-{uuid.uuid4().hex[:8]}"
    experiment_id = bob.http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    assert bob.http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    assert carol.http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).status_code == 403

    shared = bob.http.post(f"{API}/experiments/permissions/create",
                           json={"experiment_id": experiment_id, "username": carol.username, "permission": "EDIT"})
    assert shared.status_code == 200, shared.text
    assert carol.http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).status_code == 200
    assert carol.http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).status_code == 200
    # EDIT does not include deleting, nor sharing further.
    assert carol.http.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id}).status_code == 403
    further = carol.http.post(f"{API}/experiments/permissions/create",
                              json={"experiment_id": experiment_id, "username": carol.username, "permission": "MANAGE"})
    assert further.status_code == 403
    me = bob.http.get(f"{API}/users/current").json()["user"]
    assert {"name": name, "user_id": me["id"], "permission": "MANAGE"} in me["registered_model_permissions"]


def test_a_read_of_a_missing_resource_is_not_found_but_a_write_is_refused(new_account: Callable[..., Any]) -> None:
    bob = new_account("bob")
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    read = bob.http.get(f"{API}/experiments/get-by-name", params={"experiment_name": missing})
    assert (read.status_code, read.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    write = bob.http.post(f"{API}/model-versions/create", json={"name": missing, "source": "mlflow-artifacts:/0/x"})
    assert (write.status_code, write.json()["error_code"]) == (403, "PERMISSION_DENIED")


def test_artifacts_outside_any_experiment_are_refused(
    admin_http: httpx.Client, new_account: Callable[..., Any]
) -> None:
    bob = new_account("bob")
    own = bob.http.post(f"{API}/experiments/create", json={"name": f"own-{uuid.uuid4().hex[:8]}"}).json()
    run = bob.http.post(f"{API}/runs/create", json={"experiment_id": own["experiment_id"]}).json()["run"]["info"]
    mine = f"/api/2.0/mlflow-artifacts/artifacts/{own['experiment_id']}/{run['run_id']}/artifacts/a.txt"
    assert bob.http.put(mine, content=b"mine").status_code == 200
    assert bob.http.put("/api/2.0/mlflow-artifacts/artifacts/stray/a.txt", content=b"x").status_code == 403
    listing = bob.http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": ""})
    assert listing.status_code == 403
    hidden = admin_http.post(f"{API}/experiments/create", json={"name": f"h-{uuid.uuid4().hex[:8]}"}).json()
    assert bob.http.get(f"/api/2.0/mlflow-artifacts/artifacts/{hidden['experiment_id']}/x").status_code == 403
