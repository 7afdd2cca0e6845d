from __future__ import annotations

import pytest

from cairn import errors
from cairn.store.database import open_database


def test_a_store_that_cannot_be_opened_says_where_the_cause_is_logged_embedded_or_served(tmp_path):
    # A folder where the database file should be: SQLite cannot open it.
    (tmp_path / "cairn.db").mkdir()

    with pytest.raises(errors.StoreUnavailable) as caught:
        open_database(f"sqlite:///{tmp_path / 'cairn.db'}")

    message = caught.value.message
    assert "retry shortly" in message
    assert "`cairn server` log when tracking to a server" in message
    assert "this program's log (stderr by default) when the store is embedded" in message
