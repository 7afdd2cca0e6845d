"""Alembic migrations: the only way the schema is created or changed.

``upgrade(conn)`` brings a database to the newest revision. Opening an up-to-date store costs
one small query: ``current_revision`` is compared with ``HEAD`` before Alembic is even imported
(importing it costs ~0.4 s, which every CLI call would otherwise pay). Only when that check fails
does ``database.open_database`` take the schema lock and call ``upgrade``. A test checks that
``HEAD`` names the newest file in ``versions/``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

HEAD = "0009"
_HERE = Path(__file__).parent


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def known_revisions() -> set[str]:
    """Every revision this Cairn's migrations know (a store at another one is newer than it)."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None  # a new, empty database


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
