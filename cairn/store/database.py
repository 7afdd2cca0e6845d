"""The connection to the metadata database.

``Database`` wraps one SQLAlchemy engine and hands out short transactions:

* ``db.read()`` for queries, ``db.write()`` for changes. On SQLite a write transaction starts with
  ``BEGIN IMMEDIATE`` under a process-wide lock, so writers queue instead of failing with
  "database is locked" half-way through (DESIGN: one writer connection per process), and WAL mode
  lets readers proceed meanwhile.
* Driver and SQLAlchemy errors are translated into ``cairn.errors`` here, at the boundary; the
  original goes to the log, never into a message a user sees.

SQLAlchemy Core (not the ORM) because the hot paths are bulk inserts and hand-shaped queries, and
Core keeps them portable between SQLite (embedded default) and PostgreSQL (scale-out).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from cairn import errors

from . import migrations

log = logging.getLogger(__name__)

_WRITE_OPTION = "cairn_write"
_SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """An open metadata store. Create with :func:`open_database`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        # SQLite allows one writer at a time; queueing writers in-process avoids busy retries.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _translated_errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception."""
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with _translated_errors(), self.engine.connect() as conn:
                conn = conn.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    yield conn
        finally:
            if lock is not None:
                lock.release()

    def close(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Open (creating and migrating if needed) the metadata store at a SQLAlchemy URL."""
    parsed = make_url(url)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        options["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **options)
    except (ImportError, SQLAlchemyError, ValueError) as exc:
        raise errors.InvalidParameter(
            f"Cannot open the tracking store '{parsed.render_as_string(hide_password=True)}': {exc}. "
            "Use a URL like sqlite:///path/to/cairn.db or postgresql+psycopg://user@host/db."
        ) from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    db = Database(engine)
    with _translated_errors():
        migrations.upgrade(engine)
    return db


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() below emit BEGIN itself (pysqlite's implicit
        # transactions would otherwise defer BEGIN and break IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except errors.CairnError:
        raise
    except IntegrityError as exc:
        log.warning("integrity error: %s", exc)
        raise errors.InvalidParameter(
            "The change conflicts with data already stored (a duplicate or a missing reference)."
        ) from None
    except OperationalError as exc:
        log.error("database unavailable: %s", exc)
        raise errors.StoreUnavailable(
            "The tracking database is unavailable or busy; retry shortly. If it persists, check that "
            f"the database is reachable and its disk is writable ({errors.WHERE_CAUSE_IS_LOGGED})."
        ) from None
    except SQLAlchemyError as exc:
        log.exception("database error")
        raise errors.CairnError(f"Internal error in the tracking store; {errors.WHERE_CAUSE_IS_LOGGED}.") from exc
