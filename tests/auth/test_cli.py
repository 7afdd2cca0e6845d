"""``cairn users``, ``cairn tokens`` and ``cairn permissions``: the first admin created against a
store, then users, tokens and grants managed through a running server with the environment's
credentials."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from cairn.cli import main

API = "/api/2.0/mlflow"
ADMIN, ADMIN_PASSWORD = "admin", "an admin passphrase for tests"


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
            stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_admin_writes_the_first_admin_into_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    code, out, err = run_cli(monkeypatch, capsys, "--tracking-uri", store, "users", "create-admin", "alice",
                             "--password-stdin", "--json", stdin="alice's long passphrase\n")
    assert code == 0, err
    assert json.loads(out)["user"] == {"id": 1, "username": "alice", "is_admin": True, "is_service": False,
                                       "permissions": []}
    code, out, _ = run_cli(monkeypatch, capsys, "--tracking-uri", store, "users", "list", "--json")
    assert [u["username"] for u in json.loads(out)["users"]] == ["alice"]
    code, out, _ = run_cli(monkeypatch, capsys, "--tracking-uri", store, "users", "log", "--json")
    (event,) = json.loads(out)["events"]
    assert (event["action"], event["target"], event["actor_method"]) == ("user.created", "alice", "store")
    assert "passphrase" not in out


def test_create_admin_refuses_a_short_password_and_a_server_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(monkeypatch, capsys, "--tracking-uri", str(tmp_path), "users", "create-admin", "alice",
                           "--password-stdin", stdin="short\n")
    assert code == 1 and "12 to 1024 characters" in err
    code, _, err = run_cli(monkeypatch, capsys, "--tracking-uri", "http://127.0.0.1:9", "users", "create-admin",
                           "alice", "--password-stdin", stdin="a long enough password\n")
    assert code == 1 and "works on the store itself" in err


def cli(server: Any, *args: str, username: str = ADMIN, password: str = ADMIN_PASSWORD, stdin: str = "") -> Any:
    env = {**os.environ, "MLFLOW_TRACKING_USERNAME": username, "MLFLOW_TRACKING_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "cairn.cli", "--tracking-uri", server.url, *args], input=stdin,
                          check=False, capture_output=True, text=True, env=env, timeout=60)


def test_users_tokens_and_permissions_through_a_running_server(auth_server: Any, admin_http: httpx.Client) -> None:
    name, model = f"cli-{uuid.uuid4().hex[:6]}", f"cli-model-{uuid.uuid4().hex[:6]}"
    assert admin_http.post(f"{API}/registered-models/create", json={"name": model}).status_code == 200
    created = cli(auth_server, "users", "create", name, "--password-stdin", stdin="cli user password 1\n")
    assert created.returncode == 0, created.stderr
    granted = cli(auth_server, "permissions", "grant", name, "--model", model, "--permission", "APPROVE")
    assert granted.returncode == 0, granted.stderr
    listed = cli(auth_server, "permissions", "list", name, "--json")
    assert json.loads(listed.stdout)["permissions"] == [
        {"resource_type": "registered_model", "resource": model, "username": name, "permission": "APPROVE"}]

    minted = cli(auth_server, "tokens", "create", "--name", "ci", "--scope", "read,registry:approve", "--expires",
                 "30d", "--json", username=name, password="cli user password 1")
    assert minted.returncode == 0, minted.stderr
    secret = json.loads(minted.stdout)["secret"]
    assert secret.startswith("cairn_pat_")
    tokens = cli(auth_server, "tokens", "list", "--json", username=name, password="cli user password 1")
    assert secret not in tokens.stdout and json.loads(tokens.stdout)["tokens"][0]["scopes"] == [
        "read", "registry:approve"]
    shown = cli(auth_server, "users", "show", name)
    assert "APPROVE" in shown.stdout and model in shown.stdout

    refused = cli(auth_server, "users", "create", "x-" + name, "--password-stdin", stdin="another password 12\n",
                  username=name, password="cli user password 1")
    assert refused.returncode == 1 and "Only an admin" in refused.stderr
