from __future__ import annotations

import socket

import pytest

from cairn import errors
from cairn.store.database import (
    DEFAULT_POOL_SIZE,
    ENV_POOL_SIZE,
    MAX_POOL_SIZE,
    open_database,
    pool_size,
)
from tests import backends


def _unopenable_store(tmp_path) -> str:
    if backends.on_postgres():
        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"postgresql://nobody@127.0.0.1:{port}/cairn"
    (tmp_path / "cairn.db").mkdir()  # a folder where the database file should be: SQLite cannot open it
    return f"sqlite:///{tmp_path / 'cairn.db'}"


def test_a_store_that_cannot_be_opened_says_where_the_cause_is_logged_embedded_or_served(tmp_path):
    with pytest.raises(errors.StoreUnavailable) as caught:
        open_database(_unopenable_store(tmp_path))

    message = caught.value.message
    assert "retry shortly" in message
    assert "`cairn server` log when tracking to a server" in message
    assert "this program's log (stderr by default) when the store is embedded" in message
    assert "nobody" not in message and "127.0.0.1" not in message  # no URL, driver text or path leaks


def test_postgresql_connections_per_process_follow_cairn_db_pool_size(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_POOL_SIZE, raising=False)
    assert pool_size() == DEFAULT_POOL_SIZE
    for wrong in ("0", "-1", "many", str(MAX_POOL_SIZE + 1)):
        monkeypatch.setenv(ENV_POOL_SIZE, wrong)
        with pytest.raises(errors.InvalidParameter, match=ENV_POOL_SIZE):
            pool_size()
    monkeypatch.setenv(ENV_POOL_SIZE, "3")
    uri, _ = backends.new_store(tmp_path)
    db = open_database(uri)
    try:
        if backends.on_postgres():
            assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (3, 3)
    finally:
        db.close()
        backends.drop_store(uri)


@pytest.mark.skipif(not backends.on_postgres(), reason="PostgreSQL only: SQLite has no connection to lose")
def test_a_pooled_postgresql_connection_killed_while_idle_is_replaced_before_use(tmp_path, monkeypatch):
    from sqlalchemy import text

    from cairn.store import database

    uri, _ = backends.new_store(tmp_path)
    db = open_database(uri)
    try:
        with db.read() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with backends.postgres_cluster().connect() as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # the connection has idled long enough

        with db.read() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        db.close()
        backends.drop_store(uri)
