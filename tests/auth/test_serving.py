"""``cairn serve --auth``: its admin routes (/version, /metadata) need a caller who may read the
served model, checked against the store's users (embedded) or by the tracking server; scoring
and health checks stay open; a route without a rule is refused."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pandas as pd
import pytest

import cairn
from cairn.auth import grants, users
from cairn.auth.admin import store_actor
from cairn.auth.route_table import SERVING_ROUTE_TABLE
from cairn.client import fluent, tracking_uri
from cairn.client.tracking_uri import store_locations
from cairn.errors import PermissionDenied, Unauthenticated
from cairn.serving.app import ROUTES
from cairn.serving.auth import ServerCheck
from cairn.store.database import open_database
from tests import backends

API = "/api/2.0/mlflow"
FEATURES = pd.DataFrame({"age": [23.0, 45.0, 31.0, 52.0], "visits": [1, 7, 3, 9]})


def test_every_route_of_the_serving_app_has_an_access_rule() -> None:
    missing = [f"{method} {route.path}" for route in ROUTES for method in route.methods or ()
               if not SERVING_ROUTE_TABLE.covers(method, route.path)]
    assert not missing, "Serving routes without an entry in SERVING_ROUTES:\n" + "\n".join(missing)


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store with model 'churn' v1 in Production, a reader (READ on it) and a stranger."""
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("serve-auth") / "store"
    with pytest.MonkeyPatch.context() as patch, backends.embedded_store(folder) as uri:
        patch.setenv("CAIRN_CAPTURE", "none")
        fluent.set_tracking_uri(uri)
        try:
            model = LogisticRegression().fit(FEATURES, [0, 1, 0, 1])
            with cairn.start_run():
                cairn.log_model(model, "model", input_example=FEATURES, registered_model_name="churn")
            cairn.Client().promote("churn", 1, "Production", reason="serving behind sign-in")
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()
        db = open_database(store_locations(uri)[0])
        for name in ("reader", "stranger"):
            users.create_user(db, name, f"{name} passphrase 1", store_actor())
        grants.create_grant(db, "registered_model", "churn", "reader", "READ", store_actor())
        db.close()
        yield uri


@pytest.fixture(scope="module")
def served(served_store: str, serve_launcher: Callable[..., Iterator[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_launcher(served_store, "churn", tmp_path_factory.mktemp("serve-auth-log"), "--auth")


def test_admin_routes_need_a_reader_of_the_model(served: str) -> None:
    for path in ("/metadata", "/version"):
        anonymous = httpx.get(served + path)
        assert (anonymous.status_code, anonymous.json()["error_code"]) == (401, "UNAUTHENTICATED")
        assert anonymous.headers["www-authenticate"].startswith("Basic")
        stranger = httpx.get(served + path, auth=("stranger", "stranger passphrase 1"))
        assert (stranger.status_code, stranger.json()["error_code"]) == (403, "PERMISSION_DENIED")
        assert httpx.get(served + path, auth=("reader", "wrong passphrase")).status_code == 401
        assert httpx.get(served + path, auth=("reader", "reader passphrase 1")).status_code == 200


def test_scoring_and_health_stay_open_and_unknown_routes_are_refused(served: str) -> None:
    assert httpx.get(served + "/ping").status_code == 200
    scored = httpx.post(served + "/invocations", json={"dataframe_records": FEATURES.to_dict("records")})
    assert scored.status_code == 200, scored.text
    assert httpx.get(served + "/admin").status_code == 401
    assert httpx.get(served + "/admin", auth=("reader", "reader passphrase 1")).status_code == 403


def test_a_server_check_asks_the_tracking_server_with_the_callers_credentials(
    admin_http: httpx.Client, new_account: Callable[..., Any], grant: Callable[..., None]
) -> None:
    name = f"served-{uuid.uuid4().hex[:8]}"
    assert admin_http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    reader, stranger = new_account("reader"), new_account("stranger")
    grant("registered-models", name, reader.username, "READ")
    check = ServerCheck(str(admin_http.base_url), name)
    rule = SERVING_ROUTE_TABLE.match("GET", "/metadata")
    assert rule is not None

    def basic(username: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    try:
        check.check(basic(reader.username, reader.password), "127.0.0.1", rule[0])
        with pytest.raises(PermissionDenied):
            check.check(basic(stranger.username, stranger.password), "127.0.0.1", rule[0])
        with pytest.raises(Unauthenticated):
            check.check(basic(reader.username, "not the password"), "127.0.0.1", rule[0])
        with pytest.raises(Unauthenticated):
            check.check(None, "127.0.0.1", rule[0])
    finally:
        check.close()
