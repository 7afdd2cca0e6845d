"""The official ``mlflow`` client's webhook API (create, get, list, update, test, delete) against
``cairn server``, a signed delivery of a registry event to a real receiver on 127.0.0.1, and bad
input refused with MLflow's error codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

SECRET = "mlflow-webhook-secret-123"
HOOKS = "/api/2.0/mlflow/webhooks"


@pytest.fixture
def client(server: Any, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # a failure shows at once
    return MlflowClient(tracking_uri=server.url, registry_uri=server.url)


@pytest.fixture
def hook(client: MlflowClient, receiver: Any) -> Iterator[Any]:
    created = client.create_webhook(name=f"ci-{uuid.uuid4().hex[:8]}", url=receiver.url,
                                    events=["model_version.created"], description="CI", secret=SECRET)
    yield created
    try:
        client.delete_webhook(created.webhook_id)
    except MlflowException:
        pass  # the test removed it already


def _mlflow_signature(headers: dict[str, str], body: bytes) -> str:
    signed = f"{headers['x-mlflow-delivery-id']}.{headers['x-mlflow-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()


def test_mlflow_client_creates_gets_lists_and_updates_a_webhook(client: MlflowClient, hook: Any,
                                                                receiver: Any) -> None:
    assert (hook.url, hook.description, hook.status.value) == (receiver.url, "CI", "ACTIVE")
    assert [(e.entity.value, e.action.value) for e in hook.events] == [("model_version", "created")]
    assert client.get_webhook(hook.webhook_id).name == hook.name
    assert hook.webhook_id in [w.webhook_id for w in client.list_webhooks(max_results=1000)]
    updated = client.update_webhook(hook.webhook_id, status="DISABLED", description="paused",
                                    events=["model_version_alias.created", "model_version_tag.set"])
    assert (updated.status.value, updated.description) == ("DISABLED", "paused")
    assert {str(e) for e in updated.events} == {"model_version_alias.created", "model_version_tag.set"}
    assert client.get_webhook(hook.webhook_id).status.value == "DISABLED"


def test_mlflow_client_pages_through_webhooks(client: MlflowClient, receiver: Any) -> None:
    made = {client.create_webhook(name=f"p{i}", url=receiver.url, events=["registered_model.created"]).webhook_id
            for i in range(3)}
    seen: list[str] = []
    page = client.list_webhooks(max_results=2)
    seen += [w.webhook_id for w in page]
    while page.token:
        page = client.list_webhooks(max_results=2, page_token=page.token)
        seen += [w.webhook_id for w in page]
    assert made <= set(seen) and len(seen) == len(set(seen))
    for webhook_id in made:
        client.delete_webhook(webhook_id)


def test_registry_event_reaches_the_receiver_signed_the_mlflow_way(client: MlflowClient, hook: Any,
                                                                   receiver: Any, new_run: Any) -> None:
    name = f"hooked-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    run_id = new_run()["run_id"]
    client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    (request,) = receiver.wait_for(1)
    assert request.headers["x-mlflow-signature"] == _mlflow_signature(request.headers, request.body)
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-cairn-signature"] == expected
    body = json.loads(request.body)
    assert (body["entity"], body["action"], body["data"]["model_name"], body["data"]["version"]) == (
        "model_version", "created", name, 1)


def test_mlflow_client_tests_and_deletes_a_webhook(client: MlflowClient, hook: Any, receiver: Any) -> None:
    result = client.test_webhook(hook.webhook_id)
    assert (result.success, result.response_status) == (True, 200)
    (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["event"] == "model_version.created"
    assert request.headers["x-mlflow-signature"] == _mlflow_signature(request.headers, request.body)
    receiver.statuses = [500]
    failed = client.test_webhook(hook.webhook_id, event="model_version_tag.set")
    assert (failed.success, failed.response_status) == (False, 500)
    client.delete_webhook(hook.webhook_id)
    with pytest.raises(MlflowException) as gone:
        client.get_webhook(hook.webhook_id)
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def _refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code, response.text
    return str(response.json()["message"])


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_webhook_id_is_not_found(http: httpx.Client, method: str) -> None:
    _refused(http.request(method, f"{HOOKS}/{uuid.uuid4().hex}", json={}), 404, "RESOURCE_DOES_NOT_EXIST")
    _refused(http.post(f"{HOOKS}/nope/test", json={}), 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(("events", "says"), [
    ([{"entity": "PROMPT", "action": "CREATED"}], "no prompt registry"),
    ([{"entity": "BUDGET_POLICY", "action": "EXCEEDED"}], "no budget policy"),
    ([{"entity": "MODEL_VERSION", "action": "DELETED"}], "no such event"),
    ([{"entity": "MODEL_VERSION", "action": "EXPLODED"}], "action"),
    ([{"entity": "MODEL_VERSION"}], "action"),
    ("model_version.created", "events"),
    ([], "events"),
])
def test_events_cairn_cannot_send_are_refused(http: httpx.Client, receiver: Any, events: Any, says: str) -> None:
    before = http.get(HOOKS, params={"max_results": 1000}).json().get("webhooks", [])
    body = {"name": "bad", "url": receiver.url, "events": events}
    assert says in _refused(http.post(HOOKS, json=body), 400, "INVALID_PARAMETER_VALUE")
    assert http.get(HOOKS, params={"max_results": 1000}).json().get("webhooks", []) == before


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "not a url", "http://user:pw@example.com/", ""])
def test_bad_urls_are_refused(http: httpx.Client, url: str) -> None:
    body = {"name": "bad", "url": url, "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}
    _refused(http.post(HOOKS, json=body), 400, "INVALID_PARAMETER_VALUE")


def test_bad_update_changes_nothing(client: MlflowClient, http: httpx.Client, hook: Any) -> None:
    for body in ({"url": "ftp://example.com/x"}, {"status": "PAUSED"}, {"secret": "short"},
                 {"events": [{"entity": "PROMPT_ALIAS", "action": "CREATED"}]}):
        _refused(http.patch(f"{HOOKS}/{hook.webhook_id}", json=body), 400, "INVALID_PARAMETER_VALUE")
    assert client.get_webhook(hook.webhook_id).to_proto() == hook.to_proto()


def test_server_without_the_operator_flag_refuses_private_targets(server_factory: Any) -> None:
    plain = server_factory()
    body = {"name": "local", "url": "http://127.0.0.1:9/hook", "events": [{"entity": "MODEL_VERSION",
                                                                             "action": "CREATED"}]}
    with httpx.Client(base_url=plain.url, timeout=60) as http:
        assert "non-public address" in _refused(http.post(HOOKS, json=body), 400, "INVALID_PARAMETER_VALUE")
