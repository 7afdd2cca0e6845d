"""Failed-login throttling: after a few wrong passwords for one user from one address, that pair is
refused with 429 and Retry-After until the window ends, even with the right password; other users
from the same address are not locked out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cairn.auth.throttle import MAX_FAILURES_PER_USER, THROTTLE_WINDOW_MS

API = "/api/2.0/mlflow"
ADMIN, ADMIN_PASSWORD = "admin", "an admin passphrase for tests"


def test_repeated_wrong_passwords_are_throttled_per_user_and_address(fresh_auth_server: Callable[..., Any]) -> None:
    server = fresh_auth_server()
    with httpx.Client(base_url=server.url, auth=(ADMIN, ADMIN_PASSWORD), timeout=30) as admin:
        for name in ("bob", "carol"):
            body = {"username": name, "password": f"{name} password 123"}
            assert admin.post(f"{API}/users/create", json=body).status_code == 200
    for _ in range(MAX_FAILURES_PER_USER):
        wrong = httpx.get(server.url + "/version", auth=("bob", "not the password"))
        assert (wrong.status_code, wrong.json()["error_code"]) == (401, "UNAUTHENTICATED")

    throttled = httpx.get(server.url + "/version", auth=("bob", "bob password 123"))
    assert (throttled.status_code, throttled.json()["error_code"]) == (429, "REQUEST_LIMIT_EXCEEDED")
    assert 0 < int(throttled.headers["retry-after"]) <= THROTTLE_WINDOW_MS // 1000
    # Another user from the same address is not locked out by bob's failures.
    assert httpx.get(server.url + "/version", auth=("carol", "carol password 123")).status_code == 200
