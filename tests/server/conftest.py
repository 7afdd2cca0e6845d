"""A real ``python -m cairn.server.run`` subprocess per session on a free 127.0.0.1 port, with a
fresh store in a temp folder, plus helpers to create experiments and runs through its API."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

# The mlflow client phones home unless told not to; tests must not touch the network.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

API = "/api/2.0/mlflow"
# The session server takes JSON bodies up to 1 MiB so the limit is cheap to test.
TEST_BODY_LIMIT = 1024 * 1024


@pytest.fixture(scope="session")
def server(server_factory: Callable[..., Any]) -> Any:
    return server_factory("--max-body-bytes", str(TEST_BODY_LIMIT), "--allow-private-webhook-targets")


@pytest.fixture(scope="session")
def server_url(server: Any) -> str:
    return server.url


@pytest.fixture(scope="session")
def http(server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture
def new_experiment(http: httpx.Client) -> Callable[..., str]:
    def create(**fields: object) -> str:
        body = {"name": f"exp-{uuid.uuid4().hex[:12]}", **fields}
        response = http.post(f"{API}/experiments/create", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["experiment_id"])

    return create


@pytest.fixture
def new_run(http: httpx.Client, new_experiment: Callable[..., str]) -> Callable[..., dict[str, object]]:
    """Create a run (in a new experiment unless one is given) and return its info."""

    def create(experiment_id: str | None = None, **fields: object) -> dict[str, object]:
        body = {"experiment_id": experiment_id or new_experiment(), **fields}
        response = http.post(f"{API}/runs/create", json=body)
        assert response.status_code == 200, response.text
        info: dict[str, object] = response.json()["run"]["info"]
        return info

    return create
