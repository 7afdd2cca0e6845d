"""A newcomer's first look: a server with no runs and no models says what to run (the SDK, the
mlflow client, the demo; how to register and promote a model), with this server's URL filled in;
a signed-in user who may read nothing yet is told how to get access. The empty pages pass the
accessibility audit too."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cairn.auth import users
from cairn.auth.admin import store_actor
from cairn.store.database import open_database

from .axe_audit import audit
from .conftest import shoot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def empty_server(server_factory: Callable[..., Any]) -> Any:
    return server_factory()


def test_no_runs_yet_says_how_to_log_one_here(empty_server: Any):
    page = html.unescape(httpx.get(empty_server.url + "/", timeout=60).text)
    assert "No runs yet" in page
    assert f'cairn.set_tracking_uri("{empty_server.url}/")' in page
    assert f'mlflow.set_tracking_uri("{empty_server.url}/")' in page
    assert f"CAIRN_TRACKING_URI={empty_server.url}/ python -m cairn.demo" in page


def test_no_models_yet_says_how_to_register_and_promote(empty_server: Any):
    page = html.unescape(httpx.get(empty_server.url + "/models", timeout=60).text)
    assert "No registered models yet" in page
    assert f"cairn --tracking-uri {empty_server.url}/ models register runs:/<run_id>/model churn" in page
    assert 'models promote churn 1 --to Production --reason "first release"' in page
    assert 'mlflow.register_model("runs:/<run_id>/model", "churn")' in page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_empty_pages_pass_the_audit(page, empty_server: Any, scheme: str):
    for name, path in (("empty-experiments", "/"), ("empty-models", "/models")):
        audit(page, empty_server.url + path, scheme, name)
        shoot(page, f"{name}-{scheme}")


def test_a_user_who_may_read_nothing_is_told_how_to_get_access(server_factory: Callable[..., Any]):
    server = server_factory("--auth")
    db = open_database(server.store_uri)
    try:
        users.create_user(db, "newcomer", "a newcomer's passphrase", store_actor())
    finally:
        db.close()
    with httpx.Client(base_url=server.url, auth=("newcomer", "a newcomer's passphrase"), timeout=60) as client:
        home = html.unescape(client.get("/").text)
        models = html.unescape(client.get("/models").text)
    assert "No experiment you may read yet" in home
    assert "cairn permissions grant newcomer --experiment ID --permission READ" in home
    assert "MLFLOW_TRACKING_TOKEN" in home
    assert "cairn permissions grant newcomer --model NAME --permission READ" in models
