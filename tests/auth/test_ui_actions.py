"""The web UI's model actions on a server with --auth: the change is recorded under the signed-in
user (verified), never a name stated in a header or typed in the form, and a caller without the
grant the route table asks for is refused before the form is read."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from .conftest import ADMIN, API

CAIRN = "/api/cairn/v1"


def model_with_a_version(admin_http: httpx.Client) -> str:
    name = f"ui-{uuid.uuid4().hex[:8]}"
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    run = admin_http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    assert admin_http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    created = admin_http.post(f"{API}/model-versions/create", json={
        "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]})
    assert created.status_code == 200, created.text
    return name


def csrf_token(client: httpx.Client, name: str) -> str:
    page = client.get(f"/models/{name}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_the_signed_in_user_is_the_actor_not_a_stated_name(admin_http: httpx.Client) -> None:
    name = model_with_a_version(admin_http)
    token = csrf_token(admin_http, name)
    done = admin_http.post(f"/models/{name}/promote", headers={"X-Cairn-User": "mallory"}, data={
        "csrf_token": token, "version": "1", "stage": "Staging", "reason": "from the UI", "confirmed": "yes",
        "user": "mallory", "actor": "mallory"})
    assert done.status_code == 303, done.text
    events = admin_http.get(f"{CAIRN}/models/audit", params={"name": name, "newest_first": "true"}).json()["events"]
    assert (events[0]["action"], events[0]["actor"], events[0]["actor_verified"]) == ("promote", ADMIN, True)


def test_a_caller_without_edit_on_the_model_is_refused(admin_http: httpx.Client, new_account: Any) -> None:
    name = model_with_a_version(admin_http)
    reader = new_account("reader")
    granted = admin_http.post(f"{API}/registered-models/permissions/create",
                              json={"name": name, "username": reader.username, "permission": "READ"})
    assert granted.status_code == 200, granted.text
    for action in ("promote", "rollback", "approve", "reject"):
        refused = reader.http.post(f"/models/{name}/{action}", data={"version": "1", "reason": "r"})
        assert refused.status_code == 403, (action, refused.text)
        assert refused.json()["error_code"] == "PERMISSION_DENIED"
