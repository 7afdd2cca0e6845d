"""Store URLs: which databases Cairn opens, and through which driver.

* ``sqlite:///path/to/cairn.db``: the embedded store (Python's own ``sqlite3``).
* ``postgresql+psycopg://user:password@host:5432/dbname``: the scale-out store, through psycopg 3
  (the ``postgres`` extra: ``pip install 'cairn-tracker[postgres]'``). ``postgresql://`` and
  ``postgres://`` mean the same: psycopg 3 is the one PostgreSQL driver Cairn supports, because
  its pipeline mode and COPY carry the bulk metric ingest.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from cairn.errors import CairnError, InvalidParameter

POSTGRES_DRIVER = "postgresql+psycopg"
POSTGRES_SCHEMES = ("postgresql", "postgres", POSTGRES_DRIVER)
INSTALL_POSTGRES = "pip install 'cairn-tracker[postgres]'"
EXAMPLES = "sqlite:///path/to/cairn.db or postgresql://user:password@host:5432/dbname"


def is_database_url(text: str) -> bool:
    """Whether ``text`` names a database (SQLite or PostgreSQL) rather than a folder or server."""
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    return scheme == "sqlite" or scheme in POSTGRES_SCHEMES


def parse_store_url(url: str) -> URL:
    """The SQLAlchemy URL to open for ``url``, PostgreSQL URLs mapped to psycopg 3.

    ``InvalidParameter`` for a URL that is not SQLite or PostgreSQL (or names another PostgreSQL
    driver); ``CairnError`` naming the pip command when psycopg is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidParameter(f"Cannot read the store URL {url!r}; use {EXAMPLES}.") from None
    if parsed.drivername == "sqlite":
        return parsed
    if parsed.drivername in POSTGRES_SCHEMES:
        require_psycopg()
        return parsed.set(drivername=POSTGRES_DRIVER)
    if parsed.get_backend_name() == "postgresql":
        raise InvalidParameter(
            f"Cairn opens PostgreSQL through psycopg 3 only, not '{parsed.drivername}': write the store URL as "
            f"postgresql://... or {POSTGRES_DRIVER}://..."
        )
    raise InvalidParameter(
        f"Unsupported store '{display(parsed)}': Cairn stores metadata in SQLite or PostgreSQL; use {EXAMPLES}."
    )


def display(url: URL | str) -> str:
    """The URL as it may be shown: the password hidden."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise CairnError(
            f"A PostgreSQL store needs the psycopg driver, which is not installed here. Install it with: "
            f"{INSTALL_POSTGRES}"
        ) from None
