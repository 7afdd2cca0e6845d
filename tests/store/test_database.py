from __future__ import annotations

import socket

import pytest

from cairn import errors
from cairn.store.database import open_database
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
