"""The model registry over HTTP against a real ``cairn server``: MLflow's registry routes and
Cairn's own /api/cairn/v1 endpoints, happy paths and bad input (status, error code, nothing written)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import cairn

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"
NewRun = Callable[..., dict[str, Any]]


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code, response.text
    return str(response.json()["message"])


def delete(http: httpx.Client, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return http.request("DELETE", path, json=body, headers=headers)


def as_user(user: str) -> dict[str, str]:
    return {"X-Cairn-User": user}


def new_model(http: httpx.Client, **fields: Any) -> str:
    name = f"model-{uuid.uuid4().hex[:10]}"
    ok(http.post(f"{API}/registered-models/create", json={"name": name, **fields}))
    return name


def new_version(http: httpx.Client, name: str, run_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id, **fields}
    return ok(http.post(f"{API}/model-versions/create", json=body))["model_version"]


def events(http: httpx.Client, name: str) -> list[dict[str, Any]]:
    return ok(http.get(f"{CAIRN}/models/audit", params={"name": name}))["events"]


def stage_of(http: httpx.Client, name: str, version: str) -> str:
    found = ok(http.get(f"{API}/model-versions/get", params={"name": name, "version": version}))
    return str(found["model_version"]["current_stage"])


def transition(http: httpx.Client, name: str, version: str, stage: str, **fields: Any) -> httpx.Response:
    body = {"name": name, "version": version, "stage": stage, **fields}
    return http.post(f"{API}/model-versions/transition-stage", json=body)


# registered models -----------------------------------------------------------------------------

def test_registered_model_create_get_rename_update_tag_and_delete(http: httpx.Client) -> None:
    name = new_model(http, description="churn model", tags=[{"key": "team", "value": "growth"}])
    found = ok(http.get(f"{API}/registered-models/get", params={"name": name}))["registered_model"]
    assert found["description"] == "churn model" and found["tags"] == [{"key": "team", "value": "growth"}]
    renamed = ok(http.post(f"{API}/registered-models/rename", json={"name": name, "new_name": name + "-2"}))
    assert renamed["registered_model"]["name"] == name + "-2"
    updated = ok(http.patch(f"{API}/registered-models/update", json={"name": name + "-2", "description": "v2"}))
    assert updated["registered_model"]["description"] == "v2"
    assert ok(http.post(f"{API}/registered-models/set-tag", json={"name": name + "-2", "key": "k", "value": "v"})) == {}
    assert ok(delete(http, f"{API}/registered-models/delete-tag", {"name": name + "-2", "key": "team"})) == {}
    tags = ok(http.get(f"{API}/registered-models/get", params={"name": name + "-2"}))["registered_model"]["tags"]
    assert tags == [{"key": "k", "value": "v"}]
    assert ok(delete(http, f"{API}/registered-models/delete", {"name": name + "-2"})) == {}
    error_of(http.get(f"{API}/registered-models/get", params={"name": name + "-2"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert [e["action"] for e in events(http, name + "-2")][-1] == "model_deleted"


def test_search_registered_models_by_name_pattern_tag_and_pages(http: httpx.Client) -> None:
    prefix = f"srch-{uuid.uuid4().hex[:6]}"
    for i in range(3):
        ok(http.post(f"{API}/registered-models/create",
                     json={"name": f"{prefix}-{i}", "tags": [{"key": "tier", "value": "gold" if i else "tin"}]}))
    search = f"{API}/registered-models/search"
    like = ok(http.get(search, params={"filter": f"name LIKE '{prefix}-%'"}))["registered_models"]
    assert [m["name"] for m in like] == [f"{prefix}-{i}" for i in range(3)]
    gold = ok(http.get(search, params={"filter": f"name ILIKE '{prefix.upper()}%' AND tags.tier = 'gold'",
                                       "order_by": "name DESC"}))
    assert [m["name"] for m in gold["registered_models"]] == [f"{prefix}-2", f"{prefix}-1"]
    first = ok(http.get(search, params={"filter": f"name LIKE '{prefix}%'", "max_results": 2}))
    second = ok(http.get(search, params={"filter": f"name LIKE '{prefix}%'", "max_results": 2,
                                         "page_token": first["next_page_token"]}))
    assert len(first["registered_models"]) == 2 and [m["name"] for m in second["registered_models"]] == [f"{prefix}-2"]
    error_of(http.get(search, params={"filter": "nmae = 'x'"}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.get(search, params={"max_results": 0}), 400, "INVALID_PARAMETER_VALUE")


# model versions --------------------------------------------------------------------------------

def test_model_version_create_get_update_tags_download_uri_and_delete(http: httpx.Client, new_run: NewRun) -> None:
    run = new_run()
    name = new_model(http)
    created = new_version(http, name, run["run_id"], description="first", tags=[{"key": "k", "value": "v"}])
    assert created["version"] == "1" and created["current_stage"] == "None" and created["status"] == "READY"
    assert created["source"] == f"runs:/{run['run_id']}/model" and created["run_id"] == run["run_id"]
    got = ok(http.get(f"{API}/model-versions/get", params={"name": name, "version": "1"}))["model_version"]
    assert got["tags"] == [{"key": "k", "value": "v"}] and got["description"] == "first"
    updated = ok(http.patch(f"{API}/model-versions/update", json={"name": name, "version": "1", "description": "x"}))
    assert updated["model_version"]["description"] == "x"
    ok(http.post(f"{API}/model-versions/set-tag", json={"name": name, "version": "1", "key": "a", "value": "b"}))
    ok(delete(http, f"{API}/model-versions/delete-tag", {"name": name, "version": "1", "key": "k"}))
    uri = ok(http.get(f"{API}/model-versions/get-download-uri", params={"name": name, "version": 1}))
    assert uri == {"artifact_uri": f"runs:/{run['run_id']}/model"}
    ok(delete(http, f"{API}/model-versions/delete", {"name": name, "version": "1"}))
    error_of(http.get(f"{API}/model-versions/get", params={"name": name, "version": "1"}), 404,
             "RESOURCE_DOES_NOT_EXIST")
    assert new_version(http, name, run["run_id"])["version"] == "2"  # numbers are never reused


def test_search_model_versions_by_name_run_id_in_and_tag(http: httpx.Client, new_run: NewRun) -> None:
    runs = [new_run()["run_id"] for _ in range(3)]
    name = new_model(http)
    for i, run_id in enumerate(runs):
        new_version(http, name, run_id, tags=[{"key": "good", "value": str(i % 2)}])
    search = f"{API}/model-versions/search"
    assert len(ok(http.get(search, params={"filter": f"name = '{name}'"}))["model_versions"]) == 3
    by_run = ok(http.get(search, params={"filter": f"run_id = '{runs[1]}'"}))["model_versions"]
    assert [(v["name"], v["version"]) for v in by_run] == [(name, "2")]
    either = f"name = '{name}' AND run_id IN ('{runs[0]}', '{runs[2]}')"
    assert [v["version"] for v in ok(http.get(search, params={"filter": either}))["model_versions"]] == ["3", "1"]
    tagged = f"name='{name}' AND tags.good = '1'"
    assert [v["version"] for v in ok(http.get(search, params={"filter": tagged}))["model_versions"]] == ["2"]
    error_of(http.get(search, params={"filter": "run_id IN 'x'"}), 400, "INVALID_PARAMETER_VALUE")


def test_get_latest_versions_by_get_and_post(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    for _ in range(3):
        new_version(http, name, run_id)
    ok(transition(http, name, "2", "Staging"))
    latest = ok(http.post(f"{API}/registered-models/get-latest-versions", json={"name": name}))["model_versions"]
    assert sorted((v["version"], v["current_stage"]) for v in latest) == [("2", "Staging"), ("3", "None")]
    staged = ok(http.get(f"{API}/registered-models/get-latest-versions", params={"name": name, "stages": "staging"}))
    assert [v["version"] for v in staged["model_versions"]] == ["2"]


def test_promoting_to_production_archives_previous_version_and_audits_the_stated_user(
    http: httpx.Client, new_run: NewRun
) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    new_version(http, name, run_id)
    ok(transition(http, name, "1", "Production"))
    moved = ok(http.post(f"{API}/model-versions/transition-stage", headers=as_user("ana"),
                         json={"name": name, "version": "2", "stage": "production",
                               "archive_existing_versions": False}))
    assert moved["model_version"]["current_stage"] == "Production" and stage_of(http, name, "1") == "Archived"
    trail = [(e["action"], e["version"], e["actor"], e["actor_verified"]) for e in events(http, name)]
    assert ("promote", 1, "unknown", False) in trail and ("promote", 2, "ana", False) in trail
    assert ("archive", 1, "ana", False) in trail


def test_aliases_set_get_and_delete_with_mlflows_answers(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    alias = f"{API}/registered-models/alias"
    assert ok(http.post(alias, json={"name": name, "alias": "champion", "version": "1"})) == {}
    found = ok(http.get(alias, params={"name": name, "alias": "champion"}))["model_version"]
    assert found["version"] == "1" and found["aliases"] == ["champion"]
    model = ok(http.get(f"{API}/registered-models/get", params={"name": name}))["registered_model"]
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    assert ok(delete(http, alias, {"name": name, "alias": "champion"})) == {}
    message = error_of(http.get(alias, params={"name": name, "alias": "champion"}), 400, "INVALID_PARAMETER_VALUE")
    assert message.startswith("Registered model alias champion not found")
    before = events(http, name)
    assert ok(delete(http, alias, {"name": name, "alias": "champion"})) == {}  # unknown alias: a silent no-op
    assert events(http, name) == before
    error_of(delete(http, alias, {"name": "no-such-model", "alias": "champion"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_cairns_alias_routes_answer_an_unset_alias_with_not_found(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    ok(http.post(f"{API}/registered-models/alias", json={"name": name, "alias": "champion", "version": "1"}))
    alias = f"{CAIRN}/models/alias"
    assert ok(http.get(alias, params={"name": name, "alias": "champion"}))["model_version"]["version"] == "1"
    assert ok(delete(http, alias, {"name": name, "alias": "champion", "reason": "retired"}, **as_user("ana"))) == {}
    deleted = events(http, name)[-1]
    assert (deleted["action"], deleted["alias"], deleted["actor"], deleted["reason"]) == \
        ("alias_deleted", "champion", "ana", "retired")
    error_of(http.get(alias, params={"name": name, "alias": "champion"}), 404, "RESOURCE_DOES_NOT_EXIST")
    before = events(http, name)
    error_of(delete(http, alias, {"name": name, "alias": "champion"}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert events(http, name) == before
    error_of(http.get(alias, params={"name": "no-such-model", "alias": "champion"}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.get(alias, params={"name": name, "alias": "v1"}), 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/registered-models/create", {"name": ""}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/create", {}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/create", {"name": "a/b"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/create", {"name": "{model}"}, 400, "RESOURCE_ALREADY_EXISTS"),
        ("POST", "/registered-models/create", {"name": "{model}\x00x"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/create", {"name": "{model}\tx"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/rename", {"name": "{model}", "new_name": "{model}\n2"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("GET", "/registered-models/get", {"name": "no-such-model"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/registered-models/rename", {"name": "no-such-model", "new_name": "x"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/model-versions/create", {"name": "no-such-model", "source": "runs:/{run}/m"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/model-versions/create", {"name": "{model}", "source": "/etc/passwd"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/create", {"name": "{model}", "source": "mlflow-artifacts:/../x"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/create", {"name": "{model}", "source": "file:///etc/passwd"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/create", {"name": "{model}", "source": "s3://bucket/a/../../b"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/create", {"name": "{model}", "source": "models:/m-doesnotexist"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/model-versions/get", {"name": "{model}", "version": "9"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/model-versions/get", {"name": "{model}", "version": "abc"}, 400, "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/transition-stage", {"name": "{model}", "version": "1", "stage": "Prod"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/model-versions/transition-stage", {"name": "{model}", "version": "7", "stage": "Staging"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/model-versions/transition-stage", {"name": "", "version": "1", "stage": "Staging"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/alias", {"name": "{model}", "alias": "champion", "version": "5"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/registered-models/alias", {"name": "{model}", "alias": "latest", "version": "1"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("POST", "/registered-models/alias", {"name": "{model}", "alias": "champion\n", "version": "1"}, 400,
         "INVALID_PARAMETER_VALUE"),
        ("DELETE", "/model-versions/delete", {"name": "{model}", "version": "3"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("DELETE", "/model-versions/delete-tag", {"name": "{model}", "version": "1", "key": "nope"}, 404,
         "RESOURCE_DOES_NOT_EXIST"),
        ("PATCH", "/model-versions/update", {"name": "{model}", "version": 2**63}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_bad_registry_input_is_refused_with_mlflows_code_and_writes_nothing(
    http: httpx.Client, new_run: NewRun, method: str, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    filled = {k: v.replace("{model}", name).replace("{run}", run_id) if isinstance(v, str) else v
              for k, v in body.items()}
    before = (events(http, name), ok(http.get(f"{API}/model-versions/search", params={"filter": f"name='{name}'"})))
    response = http.request(method, API + path, params=filled if method == "GET" else None,
                            json=None if method == "GET" else filled)
    error_of(response, status, code)
    after = (events(http, name), ok(http.get(f"{API}/model-versions/search", params={"filter": f"name='{name}'"})))
    assert after == before


# Cairn's endpoints -----------------------------------------------------------------------------

def test_metric_gate_refuses_then_passes_with_results_stored(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    policy = {"required_metrics": ["auc >= 0.8"]}
    stored = ok(http.post(f"{CAIRN}/models/policy", json={"name": name, "policy": policy, "reason": "ship safely"}))
    assert stored["policy"]["required_metrics"] == [{"key": "auc", "op": ">=", "threshold": 0.8}]
    assert ok(http.get(f"{CAIRN}/models/policy", params={"name": name}))["scope"] == "model"
    ok(http.post(f"{API}/runs/log-metric", json={"run_id": run_id, "key": "auc", "value": 0.7, "timestamp": 1}))
    message = error_of(transition(http, name, "1", "Production"), 409, "INVALID_STATE")
    assert "auc" in message and stage_of(http, name, "1") == "None"
    ok(http.post(f"{API}/runs/log-metric", json={"run_id": run_id, "key": "auc", "value": 0.9, "timestamp": 2}))
    body = {"name": name, "version": "1", "stage": "Production", "reason": "auc ok"}
    outcome = ok(http.post(f"{CAIRN}/model-versions/promote", json=body))["outcome"]
    assert outcome["applied"] and outcome["model_version"]["current_stage"] == "Production"
    assert outcome["gate_results"] and all(g["passed"] for g in outcome["gate_results"])
    refused, promoted = [e for e in events(http, name) if e["action"] in ("transition_refused", "promote")]
    assert [g["observed"] for g in refused["gate_results"] if not g["passed"]] == ["0.7"]
    assert promoted["gate_results"] and all(g["passed"] for g in promoted["gate_results"])


def test_signoff_waits_for_another_user_and_refuses_self_approval(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    ok(http.post(f"{CAIRN}/models/policy", json={"name": name, "policy": {"require_signoff": True}}))
    pending = ok(http.post(f"{CAIRN}/model-versions/promote", headers=as_user("ana"),
                           json={"name": name, "version": "1", "stage": "Production"}))["outcome"]
    assert not pending["applied"] and pending["request"]["status"] == "PENDING"
    assert stage_of(http, name, "1") == "None"
    listed = ok(http.get(f"{CAIRN}/transition-requests", params={"name": name}))["requests"]
    assert [(r["version"], r["requested_by"]) for r in listed] == [(1, "ana")]
    approve = f"{CAIRN}/transition-requests/approve"
    error_of(http.post(approve, headers=as_user("ana"), json={"name": name, "version": "1"}), 403, "PERMISSION_DENIED")
    assert stage_of(http, name, "1") == "None"
    done = ok(http.post(approve, headers=as_user("bo"), json={"name": name, "version": "1", "comment": "lgtm"}))
    assert done["outcome"]["applied"] and done["outcome"]["request"]["decided_by"] == "bo"
    assert stage_of(http, name, "1") == "Production"
    error_of(http.post(approve, headers=as_user("bo"), json={"name": name, "version": "1"}), 404,
             "RESOURCE_DOES_NOT_EXIST")


def test_rejected_request_leaves_the_stage_alone(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    new_version(http, name, run_id)
    ok(http.post(f"{CAIRN}/models/policy", json={"name": name, "policy": {"require_signoff": True}}))
    ok(http.post(f"{CAIRN}/model-versions/promote", json={"name": name, "version": "1", "stage": "Production"}))
    rejected = ok(http.post(f"{CAIRN}/transition-requests/reject", headers=as_user("bo"),
                            json={"name": name, "version": "1", "comment": "not yet"}))["request"]
    assert rejected["status"] == "REJECTED" and stage_of(http, name, "1") == "None"
    assert ok(http.get(f"{CAIRN}/transition-requests", params={"name": name}))["requests"] == []


def test_timeline_at_and_rollback_and_show(http: httpx.Client, new_run: NewRun) -> None:
    run_id = new_run()["run_id"]
    name = new_model(http)
    for _ in range(2):
        new_version(http, name, run_id)
    error_of(http.post(f"{CAIRN}/models/rollback", json={"name": name, "reason": "bad"}), 409, "INVALID_STATE")
    ok(transition(http, name, "1", "Production"))
    error_of(http.post(f"{CAIRN}/models/rollback", json={"name": name, "reason": "bad"}), 409, "INVALID_STATE")
    ok(transition(http, name, "2", "Production"))
    error_of(http.post(f"{CAIRN}/models/rollback", json={"name": name}), 400, "INVALID_PARAMETER_VALUE")
    assert stage_of(http, name, "2") == "Production"
    back = ok(http.post(f"{CAIRN}/models/rollback", headers=as_user("ops"),
                        json={"name": name, "reason": "latency regression"}))["outcome"]
    assert back["model_version"]["version"] == "1" and back["archived_versions"] == [2]
    intervals = ok(http.get(f"{CAIRN}/models/timeline", params={"name": name}))["intervals"]
    stages = [(i["version"], i["end"] is None) for i in intervals if i["kind"] == "stage"]
    assert stages == [(1, False), (2, False), (1, True)]
    second = next(i for i in intervals if i["version"] == 2)
    at = ok(http.get(f"{CAIRN}/models/timeline", params={"name": name, "at": second["start"]}))
    assert at["production"]["version"] == 2
    before = ok(http.get(f"{CAIRN}/models/timeline", params={"name": name, "at": intervals[0]["start"] - 1}))
    assert "production" not in before
    error_of(http.get(f"{CAIRN}/models/timeline", params={"name": name, "at": "yesterday"}), 400,
             "INVALID_PARAMETER_VALUE")
    shown = ok(http.get(f"{CAIRN}/models/show", params={"ref": f"{name}/Production"}))
    assert shown["model_version"]["version"] == "1" and shown["events"][0]["action"] == "rollback"
    assert shown["events"][0]["actor"] == "ops" and len(shown["production"]) == 2
    error_of(http.get(f"{CAIRN}/models/show", params={"ref": f"{name}@nobody"}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.get(f"{CAIRN}/models/audit", params={"name": "never-existed"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_webhooks_are_listed_and_removed_and_private_targets_need_the_operator_flag(http: httpx.Client) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["model_version.created"], "allow_private": True}
    created = ok(http.post(f"{CAIRN}/webhooks", json=body))
    webhook_id = created["webhook"]["webhook_id"]
    assert len(created["secret"]) >= 16
    assert webhook_id in [w["webhook_id"] for w in ok(http.get(f"{CAIRN}/webhooks"))["webhooks"]]
    error_of(http.post(f"{CAIRN}/webhooks", json={**body, "allow_private": False}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(f"{CAIRN}/webhooks", json={**body, "events": ["nope"]}), 400, "INVALID_PARAMETER_VALUE")
    assert ok(http.request("DELETE", f"{CAIRN}/webhooks/{webhook_id}")) == {}
    error_of(http.request("DELETE", f"{CAIRN}/webhooks/{webhook_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.put(f"{CAIRN}/webhooks"), 405, "BAD_REQUEST")


def test_server_without_the_operator_flag_refuses_private_webhook_targets(server_factory: Any) -> None:
    plain = server_factory()
    body = {"url": "http://127.0.0.1:9/hook", "events": ["model_version.created"], "allow_private": True}
    with httpx.Client(base_url=plain.url, timeout=60) as http:
        refused = error_of(http.post(f"{CAIRN}/webhooks", json=body), 403, "PERMISSION_DENIED")
        assert "--allow-private-webhook-targets" in refused
        error_of(http.post(f"{CAIRN}/webhooks", json={**body, "allow_private": False}), 400,
                 "INVALID_PARAMETER_VALUE")
        assert ok(http.get(f"{CAIRN}/webhooks"))["webhooks"] == []


def test_expired_artifacts_are_collected_through_the_server(http: httpx.Client, server: Any) -> None:
    # Nothing in the session store has outlived a 30-day retention, so both runs report nothing.
    assert ok(http.post(f"{CAIRN}/models/collect-expired-artifacts", json={"dry_run": True})) == {"versions": []}
    error_of(http.post(f"{CAIRN}/models/collect-expired-artifacts", json={"dry_run": "maybe"}), 400,
             "INVALID_PARAMETER_VALUE")
    client = cairn.Client(server.url)
    try:
        assert client.collect_expired_artifacts(user="ops") == []
    finally:
        client.close()
