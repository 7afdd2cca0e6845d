"""Which store URLs Cairn opens: SQLite, and PostgreSQL through psycopg 3 however it is spelled."""

from __future__ import annotations

import sys

import pytest

from cairn.client import tracking_uri
from cairn.errors import CairnError, InvalidParameter
from cairn.store.database import open_database
from cairn.store.urls import INSTALL_POSTGRES, parse_store_url


@pytest.mark.parametrize("url", [
    "postgresql://alice:secret@db.example.com:5432/cairn",
    "postgres://alice:secret@db.example.com:5432/cairn",
    "postgresql+psycopg://alice:secret@db.example.com:5432/cairn",
])
def test_postgresql_urls_open_through_psycopg_3(url: str) -> None:
    parsed = parse_store_url(url)
    assert (parsed.drivername, parsed.host, parsed.port, parsed.database) == (
        "postgresql+psycopg", "db.example.com", 5432, "cairn")
    assert parsed.password == "secret"


def test_another_postgresql_driver_is_refused_naming_the_spelling_to_use() -> None:
    with pytest.raises(InvalidParameter, match=r"psycopg 3 only.*postgresql://"):
        parse_store_url("postgresql+psycopg2://alice@db/cairn")


def test_a_database_cairn_cannot_store_in_is_refused_without_its_password() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_store_url("mysql://alice:secret@db/cairn")
    assert "SQLite or PostgreSQL" in caught.value.message and "secret" not in caught.value.message


def test_without_psycopg_a_postgresql_store_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an installation without the extra sees

    with pytest.raises(CairnError) as caught:
        open_database("postgresql://alice@db.example.com/cairn")

    assert INSTALL_POSTGRES in caught.value.message
    assert INSTALL_POSTGRES == "pip install 'cairn-tracker[postgres]'"


def test_the_sdk_refuses_a_tracking_uri_it_cannot_store_in() -> None:
    with pytest.raises(InvalidParameter, match="postgresql://"):
        tracking_uri.backend_for("mysql://alice@db/cairn")
