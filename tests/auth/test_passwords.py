"""Passwords: Argon2id hashes, rehashed on sign-in when the parameters change, checked in about
the same time whether or not the user exists; no default user or password anywhere."""

from __future__ import annotations

import ast
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from cairn.auth import users
from cairn.auth.admin import store_actor
from cairn.auth.passwords import needs_rehash, verify_password
from cairn.errors import InvalidParameter
from cairn.store import auth_users
from cairn.store.database import Database
from cairn.tracking import clock


def test_passwords_are_hashed_with_argon2id(db: Database) -> None:
    users.create_user(db, "bob", "bob's long passphrase", store_actor())
    stored = users.find_user(db, "bob")
    assert stored is not None and stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert "passphrase" not in stored.password_hash
    assert verify_password(stored.password_hash, "bob's long passphrase")
    assert not verify_password(stored.password_hash, "bob's long passphrasE")


def test_a_hash_made_with_old_parameters_is_replaced_at_sign_in(db: Database) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("an old but long password")
    assert needs_rehash(weak)
    with db.write() as tx:
        auth_users.insert_user(tx, "old", weak, is_admin=False, is_service=False, now=clock.now_ms())
    assert users.check_password(db, "old", "an old but long password") is not None
    record = users.find_user(db, "old")
    assert record is not None and record.password_hash != weak and not needs_rehash(str(record.password_hash))


def test_short_passwords_are_refused(db: Database) -> None:
    with pytest.raises(InvalidParameter, match="12 to 1024 characters"):
        users.create_user(db, "bob", "short", store_actor())


def test_a_check_takes_as_long_for_an_unknown_user_as_for_a_wrong_password(db: Database) -> None:
    users.create_user(db, "bob", "bob's long passphrase", store_actor())

    def timed(username: str) -> float:
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            assert users.check_password(db, username, "a wrong passphrase") is None
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    unknown, wrong = timed("nobody-at-all"), timed("bob")
    assert 0.5 < unknown / wrong < 2.0, (unknown, wrong)


def test_a_new_server_has_no_user_and_refuses_default_credentials(fresh_auth_server: Callable[..., Any]) -> None:
    server = fresh_auth_server(admin=False)
    assert "no users yet" in server.log_text()
    for username, password in [("admin", "password"), ("admin", "admin"), ("admin", "password1234"),
                               ("root", "root"), ("mlflow", "mlflow")]:
        response = httpx.get(server.url + "/version", auth=(username, password))
        assert response.status_code == 401, (username, password)


PACKAGE = Path(__file__).resolve().parents[2] / "cairn"
README = PACKAGE.parent / "README.md"
_PASSWORD_TAKERS = {"create_user", "create_admin", "hash_password", "update_password", "check_password"}


def test_no_password_is_written_into_the_code_or_the_docs() -> None:
    """Nothing in cairn/ creates a user or sets a password from a string literal, and the README
    passes passwords through stdin or the environment, never inline."""
    literal = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None)
            if isinstance(node, ast.Call) and getattr(name, "attr", getattr(name, "id", "")) in _PASSWORD_TAKERS:
                values = [*node.args, *(k.value for k in node.keywords if k.arg in ("password", "current_password"))]
                literal += [f"{path}:{node.lineno}" for v in values
                            if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    assert literal == []
    docs = README.read_text()
    assert re.findall(r"PASSWORD=(?!\.\.\.)\S+", docs) == []
    assert re.findall(r"--password\s+\S", docs) == []
