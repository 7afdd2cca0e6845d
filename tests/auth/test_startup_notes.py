"""What ``cairn server`` says at start: a warning when it listens beyond loopback without --auth,
and how to create the first admin when sign-in is on but no user exists."""

from __future__ import annotations

import pytest

from cairn.auth import users
from cairn.auth.admin import store_actor
from cairn.server.auth_notes import startup_notes
from cairn.server.config import ServerConfig
from cairn.store.database import Database


def config(host: str, auth: bool) -> ServerConfig:
    return ServerConfig(backend_store_uri="sqlite://", artifacts_destination=".", host=host, auth=auth)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "cairn.example.com"])
def test_listening_beyond_loopback_without_auth_warns(db: Database, host: str) -> None:
    (note,) = startup_notes(config(host, auth=False), db)
    assert note.startswith("Warning:") and "--auth" in note and host in note


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_without_auth_stays_quiet(db: Database, host: str) -> None:
    assert startup_notes(config(host, auth=False), db) == []


def test_auth_without_users_says_how_to_create_the_first_admin(db: Database) -> None:
    (note,) = startup_notes(config("0.0.0.0", auth=True), db)
    assert "cairn" in note and "users create-admin" in note
    users.create_admin(db, "alice", "alice's long passphrase", store_actor())
    assert startup_notes(config("0.0.0.0", auth=True), db) == []
