"""Deny by default: every route of the server has an access rule, a route without one is refused,
and every route refuses an anonymous caller (401) and a signed-in user with no grants (403, or an
empty list where the route filters), including the /ajax-api twins, trailing-slash and
percent-encoded spellings, HEAD and OPTIONS."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from cairn.auth import users
from cairn.auth.admin import store_actor
from cairn.auth.route_table import ROUTE_TABLE, Access
from cairn.server.app import create_app
from cairn.store.database import open_database
from cairn.ui.assets import Assets
from tests import backends

API = "/api/2.0/mlflow"
CAIRN = "/api/cairn/v1"
PATH_VALUES = {"tag_key": "k", "webhook_id": "0123456789abcdef"}
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def app_routes(tmp_path: Path, auth: bool) -> list[tuple[str, str]]:
    app = create_app(str(tmp_path / f"store-{auth}"), tmp_path / f"artifacts-{auth}", auth=auth)
    return sorted({(method, route.path) for route in app.routes for method in route.methods})  # type: ignore[attr-defined]


@pytest.mark.parametrize("auth", [True, False], ids=["with-auth", "without-auth"])
def test_every_route_of_the_server_has_an_access_rule(tmp_path: Path, auth: bool) -> None:
    missing = [f"{method} {path}" for method, path in app_routes(tmp_path, auth) if not ROUTE_TABLE.covers(method, path)]
    assert not missing, "Routes without an entry in cairn/auth/route_table.py (refused until added):\n" + "\n".join(
        missing)


def in_process(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(send())


def test_a_route_added_without_a_rule_is_refused(tmp_path: Path) -> None:
    store, artifacts = backends.new_store(tmp_path)
    db = open_database(store)
    users.create_admin(db, "root", "a root passphrase here", store_actor())
    db.close()
    app = create_app(store, artifacts, auth=True)

    async def dummy(request: Request) -> PlainTextResponse:
        return PlainTextResponse("should never be reached")

    app.router.routes.append(Route("/api/2.0/mlflow/dummy/new-endpoint", dummy, methods=["GET", "POST"]))
    anonymous = in_process(app, "GET", "/api/2.0/mlflow/dummy/new-endpoint")
    signed_in = in_process(app, "POST", "/api/2.0/mlflow/dummy/new-endpoint", auth=("root", "a root passphrase here"))
    app.state.cairn.db.close()
    assert (anonymous.status_code, anonymous.json()["error_code"]) == (401, "UNAUTHENTICATED")
    assert (signed_in.status_code, signed_in.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert "deny by default" in signed_in.json()["message"]


# the matrix against a real server ------------------------------------------------------------

@pytest.fixture(scope="module")
def world(admin_http: httpx.Client) -> dict[str, Any]:
    """Resources the admin owns and the user in the matrix holds no grant on."""
    name = f"matrix-{uuid.uuid4().hex[:8]}"
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    run = admin_http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    assert admin_http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    version = admin_http.post(f"{API}/model-versions/create", json={
        "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]})
    assert version.status_code == 200, version.text
    logged = admin_http.post(f"{API}/logged-models", json={"experiment_id": experiment_id})
    assert logged.status_code == 200, logged.text
    prediction_id = uuid.uuid4().hex
    logged_prediction = admin_http.post(f"{CAIRN}/predictions/log-batch", json={"predictions": [{
        "prediction_id": prediction_id, "request_id": uuid.uuid4().hex, "row_index": 0, "timestamp": 1,
        "model_name": name, "version": 1, "arm": "primary", "features": {"x": 1}, "output": 0, "latency_ms": 1.0}]})
    assert logged_prediction.status_code == 200, logged_prediction.text
    return {
        "model_id": logged.json()["model"]["info"]["model_id"],
        "experiment_id": experiment_id, "experiment_ids": [experiment_id], "experiment_name": name,
        "run_id": run["run_id"], "name": name, "version": "1", "ref": name, "alias": "champion",
        "path": f"{experiment_id}/{run['run_id']}/artifacts", "username": "admin",
        "resource_type": "experiment", "resource_id": experiment_id, "stage": "Production",
        "predictions": [{"model_name": name}], "prediction_id": prediction_id, "key": "k", "value": "v",
    }


def fill(template: str, world: dict[str, Any]) -> str:
    if template.startswith("/static/"):  # a real asset: the route is public and must answer 200
        return "/static/" + Assets().url_name("app.css")
    values = {**PATH_VALUES, "path": world["path"] + "/file.txt", "model_id": world["model_id"],
              "experiment_id": world["experiment_id"], "run_id": world["run_id"], "name": world["name"],
              "version": world["version"], "prediction_id": world["prediction_id"], "ref": world["ref"]}
    return _PARAM.sub(lambda m: values[m.group(1)], template)


def call(client: httpx.Client, method: str, path: str, world: dict[str, Any]) -> httpx.Response:
    if method in ("GET", "HEAD"):
        return client.request(method, path, params=world)
    if method == "PUT":
        return client.request(method, path, content=b"artifact bytes")
    return client.request(method, path, json=world)


def expected_for_user(rule_access: Access) -> str:
    return {Access.PUBLIC: "ok", Access.SIGNED_IN: "passes", Access.PASSWORD_SESSION: "passes",
            Access.FILTERED: "empty"}.get(rule_access, "denied")


def check_anonymous(response: httpx.Response, where: str) -> None:
    assert response.status_code == 401, (where, response.status_code, response.text)
    assert response.headers["www-authenticate"].startswith("Basic"), where
    if response.request.method != "HEAD":
        assert response.json()["error_code"] == "UNAUTHENTICATED", where


def check_user(response: httpx.Response, expectation: str, where: str) -> None:
    status = response.status_code
    if expectation == "denied":
        assert status == 403, (where, status, response.text)
        if response.request.method != "HEAD":
            assert response.json()["error_code"] == "PERMISSION_DENIED", where
    elif expectation == "empty":
        assert status == 200, (where, status, response.text)
        if response.request.method != "HEAD":
            assert all(not v for v in response.json().values() if isinstance(v, list)), (where, response.text)
    else:  # signed-in routes: past the gate, the handler answers (and may refuse another user's data)
        assert status != 401 and status < 500, (where, status, response.text)


def variants(path: str) -> Iterator[tuple[str, bool]]:
    """Other spellings: a trailing slash (another path, so no entry: refused), and an escaped
    letter or slash (decoded, the same route: the same answer)."""
    if path != "/":  # httpx sends "//" as "/"
        yield path + "/", False
    head, last = path[:-1], path[-1]
    if last.isalnum():
        yield f"{head}%{ord(last):02X}", True
    cut = path.rfind("/")
    if cut > 0:
        yield path[:cut] + "%2F" + path[cut + 1:], True


def test_every_route_refuses_anonymous_and_ungranted_callers(tmp_path: Path, auth_server: Any, anonymous: httpx.Client,
                                                           new_account: Any, world: dict[str, Any]) -> None:
    nobody = new_account("nogrants")
    checked = 0
    for method, template in app_routes(tmp_path, auth=True):
        path = fill(template, world)
        found = ROUTE_TABLE.match(method, path)
        assert found is not None, f"{method} {path}"
        access = found[0].access
        where = f"{method} {path}"
        if access is Access.PUBLIC:
            # The login and logout forms are open, and refuse a post without their CSRF token.
            expected = 403 if method == "POST" and path in ("/login", "/logout") else 200
            assert call(anonymous, method, path, world).status_code == expected, where
            continue
        # The web UI answers a script (no text/html in Accept) as the API does; lists as JSON twins.
        sent = {**world, "format": "json"} if found[0].browser else world
        check_anonymous(call(anonymous, method, path, sent), where)
        check_user(call(nobody.http, method, path, sent), expected_for_user(access), where)
        for variant, same_route in variants(path):
            check_anonymous(call(anonymous, method, variant, sent), f"{method} {variant}")
            expectation = expected_for_user(access) if same_route else "denied"
            if not same_route and ROUTE_TABLE.match(method, variant) is not None:
                expectation = "passes"  # a {name:path} template takes the slash in: a model that does not exist
            check_user(call(nobody.http, method, variant, sent), expectation, f"{method} {variant}")
        checked += 1
    # No route answers OPTIONS: no entry, so refused on every path.
    for path in sorted({fill(template, world) for _, template in app_routes(tmp_path, auth=True)} - {"/health"}):
        check_anonymous(call(anonymous, "OPTIONS", path, world), f"OPTIONS {path}")
        check_user(call(nobody.http, "OPTIONS", path, world), "denied", f"OPTIONS {path}")
    assert checked > 150
