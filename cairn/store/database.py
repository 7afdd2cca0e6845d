"""The connection to the metadata database.

``Database`` wraps one SQLAlchemy engine and hands out short transactions:

* ``db.read()`` for queries, ``db.write()`` for changes. On SQLite a write transaction starts with
  ``BEGIN IMMEDIATE`` under a process-wide lock, so writers queue instead of failing with
  "database is locked" half-way through (DESIGN: one writer connection per process), and WAL mode
  lets readers proceed meanwhile.
* ``open_database`` creates and migrates a store once, however many processes open it together
  (a sweep starting its workers on a fresh ``./.cairn``): an up-to-date store costs one query;
  otherwise ``schema_lock`` lets one process at a time migrate, and the rest find it at head.
* Driver and SQLAlchemy errors are translated into ``cairn.errors`` here, at the boundary; the
  original goes to the log, never into a message a user sees.

SQLAlchemy Core (not the ORM) because the hot paths are bulk inserts and hand-shaped queries, and
Core keeps them portable between SQLite (embedded default) and PostgreSQL (scale-out).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from cairn import errors

from . import migrations

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)

_WRITE_OPTION = "cairn_write"
_SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long opening a store keeps retrying while SQLite reports it busy or locked despite its busy
# timeout (it gives up at once when waiting could deadlock), before failing with StoreUnavailable.
OPEN_BUSY_RETRY_BUDGET_S = 60.0
_OPEN_RETRY_FIRST_DELAY_S = 0.05
_OPEN_RETRY_MAX_DELAY_S = 1.0
_SCHEMA_LOCK_SUFFIX = ".lock"


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
        _migrate_once(engine)
    return db


def migrate(db: Database) -> None:
    """Bring an open store to the newest schema (after its contents were replaced by a restore)."""
    with _translated_errors():
        _migrate_once(db.engine)


def _migrate_once(engine: Engine) -> None:
    if migrations.current_revision(engine) == migrations.HEAD:
        return  # the common case: no lock, one query
    deadline = time.monotonic() + OPEN_BUSY_RETRY_BUDGET_S
    delay = _OPEN_RETRY_FIRST_DELAY_S
    while True:
        try:
            # A write transaction (BEGIN IMMEDIATE on SQLite): Alembic reads the stored revision and
            # then writes, and a read transaction upgraded to a write fails at once if another
            # connection wrote in between, without waiting for the busy timeout.
            with schema_lock(engine), engine.connect() as conn:
                conn = conn.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    migrations.upgrade(conn)
            return
        except OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + delay > deadline:
                raise
            log.info("tracking database busy while being migrated; retrying in %.2f s", delay)
            time.sleep(delay)
            delay = min(delay * 2, _OPEN_RETRY_MAX_DELAY_S)


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the lock under which one process at a time creates or migrates this store's schema.

    SQLite: an exclusive ``flock`` on ``<database file>.lock`` beside the database (e.g.
    ``.cairn/cairn.db.lock``); the OS releases it if its holder dies, so it never goes stale. Where
    there is no ``flock`` (Windows) or the lock file cannot be created, nothing is held and the
    migration's own write transaction plus busy retries are the only guard. An in-memory database
    has a single user and needs none.

    PostgreSQL: this is where a transaction-scoped advisory lock (``pg_advisory_xact_lock``) will
    go; until then nothing is held, so start one process first when migrating a PostgreSQL store.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or sys.platform == "win32":
        yield
        return
    path = Path(database + _SCHEMA_LOCK_SUFFIX)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        log.warning("cannot create the schema lock %s (%s); migrating without it", path, exc)
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process to finish creating or migrating %s", database)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _is_busy(exc: OperationalError) -> bool:
    # SQLite's primary result code (the low byte; extended codes such as BUSY_SNAPSHOT share it).
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() below emit BEGIN itself (pysqlite's implicit
        # transactions would otherwise defer BEGIN and break IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # The busy timeout first: switching a new file to WAL needs its write lock, which another
        # process opening the same new store may hold.
        cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
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
