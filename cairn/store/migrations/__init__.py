"""Alembic migrations: the only way the schema is created or changed.

``upgrade(conn)`` brings a database to the newest revision. Opening an up-to-date store costs
one small query: ``current_revision`` is compared with ``HEAD`` before Alembic is even imported
(importing it costs ~0.4 s, which every CLI call would otherwise pay). Only when that check fails
does ``database.open_database`` take the schema lock and call ``upgrade``. A test checks that
``HEAD`` names the newest file in ``versions/``. Revisions are four digits, in order, one file
each (``versions/0006_auth.py``), so ``is_known`` tells a store this Cairn can open from one a
newer Cairn migrated, without importing Alembic.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

HEAD = "0012"
_HERE = Path(__file__).parent
_REVISION_QUERY = text("SELECT version_num FROM alembic_version")


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def known_revisions() -> list[str]:
    """Every revision this Cairn has a migration for, oldest first."""
    return sorted(p.name[:4] for p in (_HERE / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def is_known(revision: str) -> bool:
    return revision in known_revisions()


def current_revision(engine: Engine) -> str | None:
    """The store's revision; None for a new, empty database. A database that cannot be reached
    raises (``OperationalError``), it does not read as empty."""
    with engine.connect() as conn:
        try:
            return conn.execute(_REVISION_QUERY).scalar()
        except (OperationalError, ProgrammingError):
            # No alembic_version table (OperationalError on SQLite, ProgrammingError on
            # PostgreSQL), or a real failure, which inspecting the table shows.
            conn.rollback()
            if not inspect(conn).has_table("alembic_version"):
                return None
            raise


def revision_in(conn: Connection) -> str | None:
    """The revision as ``conn``'s transaction sees it; None when there is no schema yet."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(_REVISION_QUERY).scalar()


def upgrade(conn: Connection) -> None:
    """Migrate to ``HEAD`` inside ``conn``'s transaction, which the caller holds under the schema
    lock. Alembic reads the stored revision in that transaction and applies only what is missing,
    so a store another process migrated while this one waited for the lock is left as it is."""
    from alembic import command

    cfg = _config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg
