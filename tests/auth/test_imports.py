"""Imports choose ids, times, users and audit events that no other route lets a caller set, so on
a server with ``--auth`` only an admin may import."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .conftest import CAIRN

IMPORT_ROUTES = ["/imports/experiments", "/imports/runs/begin", "/imports/runs/metrics", "/imports/runs/complete",
                 "/imports/logged-models/begin", "/imports/logged-models/complete", "/imports/registered-models",
                 "/imports/finish"]


def _experiment() -> dict[str, Any]:
    return {"experiment": {"experiment_id": "900", "name": f"imported-{uuid.uuid4().hex[:8]}", "tags": []}}


@pytest.mark.parametrize("route", IMPORT_ROUTES)
def test_a_user_who_is_not_an_admin_may_not_import(route: str, new_account: Callable[..., Any],
                                                   anonymous: httpx.Client) -> None:
    user = new_account()
    refused = user.http.post(CAIRN + route, json=_experiment())
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
    assert anonymous.post(CAIRN + route, json=_experiment()).status_code == 401


def test_an_admin_may_import(admin_http: httpx.Client) -> None:
    body = _experiment()
    done = admin_http.post(CAIRN + "/imports/experiments", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["created"] is True and done.json()["experiment"]["name"] == body["experiment"]["name"]
