"""The connection to the metadata database.

``Database`` wraps one SQLAlchemy engine and hands out short transactions:

* ``db.read()`` for queries, ``db.write()`` for changes. On SQLite a write transaction starts with
  ``BEGIN IMMEDIATE`` under a process-wide lock, so writers queue instead of failing with
  "database is locked" half-way through (DESIGN: one writer connection per process), and WAL mode
  lets readers proceed meanwhile.
* On PostgreSQL each process keeps a pool of ``pool_size()`` connections (``CAIRN_DB_POOL_SIZE``,
  default ``DEFAULT_POOL_SIZE``) and may open as many more under a burst, so a server with N
  workers holds at most ``N * 2 * pool_size()`` connections; row locks (``FOR UPDATE``) and unique
  constraints, not process-wide locks, keep concurrent writers from different processes correct.
* ``open_database`` creates and migrates a store once, however many processes open it together
  (a sweep starting its workers on a fresh ``./.cairn``, N server workers on an empty PostgreSQL
  database): an up-to-date store costs one query; otherwise ``schema_lock`` lets one process at a
  time migrate, and the rest find it at head. Upgrading a store made by an older Cairn says so on
  stderr (from and to which revision); a store newer than this Cairn is refused (``StoreTooNew``).
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

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DataError, DisconnectionError, IntegrityError, OperationalError, SQLAlchemyError

from cairn import errors

from . import migrations
from .urls import display, parse_store_url

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
_SQLITE_CONSTRAINT_UNIQUE = 2067
_SQLITE_CONSTRAINT_PRIMARYKEY = 1555
_POSTGRES_UNIQUE_VIOLATION = "23505"
# The PostgreSQL advisory lock (a 64-bit key, per database) held while the schema is created or
# migrated: the first 8 bytes of sha256(b"cairn.schema") as a signed integer, fixed so that every
# Cairn version takes the same lock.
SCHEMA_LOCK_KEY = -7414094205575184373
ENV_POOL_SIZE = "CAIRN_DB_POOL_SIZE"
# Connections each process keeps open to a PostgreSQL store; as many more may open under a burst.
# A request holds one for one transaction, so this bounds a worker's concurrent database work.
DEFAULT_POOL_SIZE = 8
MAX_POOL_SIZE = 1000
_POOL_TIMEOUT_S = 30
# A pooled PostgreSQL connection idle longer than this is pinged before use (a dead one is
# replaced, and the rest of the pool with it). A connection in steady use skips the ping: one
# round trip less per request. A database restart within this window fails one request per
# worker (503) before the pool reconnects.
PING_AFTER_IDLE_S = 2.0
_CHECKED_IN_AT = "cairn_checked_in_at"
UPGRADE_COMMAND = "pip install --upgrade cairn-tracker"


class Database:
    """An open metadata store. Create with :func:`open_database`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        # SQLite allows one writer at a time; queueing writers in-process avoids busy retries.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with translated_errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception."""
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with translated_errors(), self.engine.connect() as conn:
                conn = conn.execution_options(**{_WRITE_OPTION: True})
                with conn.begin():
                    yield conn
        finally:
            if lock is not None:
                lock.release()

    def writer_is_free(self) -> bool:
        """True when a write in this process would start without waiting for another: SQLite with
        its write lock free at this moment. (A writer in another process can still hold the file;
        SQLite's busy timeout then waits for it, as for any write.) Always False on PostgreSQL,
        where every statement is a round trip worth waiting for off the caller's thread."""
        lock = self._write_lock
        return lock is not None and not lock.locked()

    def close(self) -> None:
        self.engine.dispose()


def refresh_statistics(db: Database) -> None:
    """Bring the query planner's statistics up to date after a bulk load (a restore, thousands of
    runs written in one go).

    PostgreSQL plans from statistics that autovacuum gathers up to a minute after a burst of
    writes. Until then it takes a store just filled for a nearly empty one (each experiment
    "holding one run"), and plans the runs table's nested-list, count and grouping queries as
    nested loops that read every run once per run: minutes at 10,000 runs, where the same
    queries take milliseconds once ``ANALYZE`` has run (well under a second at that size).
    SQLite plans from its indexes alone, so this does nothing there.
    """
    if db.engine.dialect.name != "postgresql":
        return
    with translated_errors(), db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def open_database(url: str) -> Database:
    """Open (creating and migrating if needed) the metadata store at a SQLAlchemy URL.

    ``InvalidParameter`` for a URL that is not SQLite or PostgreSQL; ``StoreTooNew`` when a newer
    Cairn migrated the store; ``StoreUnavailable`` when the database cannot be reached.
    """
    engine = create_store_engine(url)
    db = Database(engine)
    try:
        with translated_errors():
            _migrate_once(engine)
    except BaseException:
        engine.dispose()
        raise
    return db


def create_store_engine(url: str) -> Engine:
    """A SQLAlchemy engine for the store at ``url``, configured for its dialect, not migrated."""
    parsed = parse_store_url(url)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        size = pool_size()
        # LIFO: requests one after another reuse the connection used last, whose backend has the
        # store's tables and plans cached, instead of cycling through every pooled connection.
        options.update(pool_size=size, max_overflow=size, pool_timeout=_POOL_TIMEOUT_S, pool_use_lifo=True,
                       connect_args={"application_name": "cairn"})
    try:
        engine = create_engine(parsed, **options)
    except (ImportError, SQLAlchemyError, ValueError) as exc:
        raise errors.InvalidParameter(f"Cannot open the tracking store '{display(parsed)}': {exc}.") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections idle over ``PING_AFTER_IDLE_S``
    (SQLAlchemy's documented custom pessimistic-disconnect recipe)."""

    @event.listens_for(engine, "checkin")
    def stamp(dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        last = record.info.get(_CHECKED_IN_AT)
        if last is None or time.monotonic() - last < PING_AFTER_IDLE_S:
            return  # just connected, or in steady use
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own disconnect errors
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection is gone")


def pool_size() -> int:
    """Connections per process to a PostgreSQL store: ``CAIRN_DB_POOL_SIZE`` or the default."""
    text = os.environ.get(ENV_POOL_SIZE, "").strip()
    if not text:
        return DEFAULT_POOL_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_POOL_SIZE:
        raise errors.InvalidParameter(
            f"{ENV_POOL_SIZE} must be a whole number from 1 to {MAX_POOL_SIZE}, got {text!r}."
        )
    return int(text)


def migrate(db: Database) -> None:
    """Bring an open store to the newest schema (after its contents were replaced by a restore)."""
    with translated_errors():
        _migrate_once(db.engine)


def _migrate_once(engine: Engine) -> None:
    deadline = time.monotonic() + OPEN_BUSY_RETRY_BUDGET_S
    delay = _OPEN_RETRY_FIRST_DELAY_S
    while True:
        try:
            current = migrations.current_revision(engine)
            if current == migrations.HEAD:
                return  # the common case: no lock, one query
            refuse_newer(engine.url, current)
            upgrade_schema(engine)
            return
        except OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + delay > deadline:
                raise
            log.info("tracking database busy while being migrated; retrying in %.2f s", delay)
            time.sleep(delay)
            delay = min(delay * 2, _OPEN_RETRY_MAX_DELAY_S)


def upgrade_schema(engine: Engine, *, announce: bool = True) -> tuple[str | None, str]:
    """Migrate the store to ``HEAD`` under the schema lock; returns (revision before, after).

    Creating a new store is quiet; upgrading one an older Cairn made is logged and, with
    ``announce``, written to stderr, naming both revisions: older Cairn versions cannot open it
    afterwards, so it must never happen unnoticed.
    """
    with schema_lock(engine) as conn:
        # Read again under the lock: another process may have migrated while this one waited.
        before = migrations.revision_in(conn)
        if before == migrations.HEAD:
            return before, before
        refuse_newer(engine.url, before)
        if before is not None:
            notice = (f"Cairn: upgrading the tracking store {display(engine.url)} from schema revision {before} "
                      f"to {migrations.HEAD}.")
            log.warning("%s", notice)
            if announce:
                print(notice, file=sys.stderr, flush=True)
        migrations.upgrade(conn)
    return before, migrations.HEAD


def store_revision(url: str) -> str | None:
    """The schema revision of the store at ``url``, creating and migrating nothing: None for an
    empty database, or a SQLite file that does not exist yet."""
    parsed = parse_store_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return None
    engine = create_store_engine(url)
    try:
        with translated_errors():
            return migrations.current_revision(engine)
    finally:
        engine.dispose()


def upgrade_store(url: str) -> tuple[str | None, str]:
    """Create or migrate the store at ``url`` to ``HEAD`` under the schema lock, quietly (the caller
    reports it); (revision before, after). ``StoreTooNew`` when a newer Cairn migrated it."""
    engine = create_store_engine(url)
    try:
        with translated_errors():
            refuse_newer(engine.url, migrations.current_revision(engine))
            return upgrade_schema(engine, announce=False)
    finally:
        engine.dispose()


def refuse_newer(url: URL, revision: str | None) -> None:
    """``StoreTooNew`` when ``revision`` is not one this Cairn knows (a newer Cairn made it)."""
    if revision is None or migrations.is_known(revision):
        return
    raise errors.StoreTooNew(
        f"The tracking store {display(url)} is at schema revision {revision}, newer than this Cairn knows "
        f"(it reads up to {migrations.HEAD}): a newer Cairn has upgraded it. Upgrade Cairn to open it: "
        f"{UPGRADE_COMMAND}"
    )


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A write transaction that one process at a time holds to create or migrate this store's
    schema; yields its connection, commits on success.

    SQLite: an exclusive ``flock`` on ``<database file>.lock`` beside the database (e.g.
    ``.cairn/cairn.db.lock``), taken before the transaction begins; the OS releases it if its
    holder dies, so it never goes stale. Where there is no ``flock`` (Windows) or the lock file
    cannot be created, nothing is held and the migration's own write transaction (BEGIN IMMEDIATE)
    plus busy retries are the only guard. An in-memory database has a single user and needs none.

    PostgreSQL: the transaction-scoped advisory lock ``pg_advisory_xact_lock(SCHEMA_LOCK_KEY)``,
    taken first in the transaction. PostgreSQL's DDL is transactional, so the others, waiting on
    the lock, then see either no schema or the complete one at head; the lock goes with the
    transaction (or the connection of a process that dies).
    """
    with _sqlite_file_lock(engine), engine.connect() as conn:
        # A write transaction (BEGIN IMMEDIATE on SQLite): Alembic reads the stored revision and
        # then writes, and a read transaction upgraded to a write fails at once if another
        # connection wrote in between, without waiting for the busy timeout.
        conn = conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            yield conn


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
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


def insert_unique(conn: Connection, statement: Any) -> Any:
    """Run an INSERT or UPDATE that may break a unique key in a savepoint: its result, or None
    when the key is taken. A domain check ("does this name exist?") cannot see a concurrent
    transaction's uncommitted row on PostgreSQL; the unique key does, so two processes creating
    the same name at once get one success and one "already exists", as on SQLite."""
    try:
        with conn.begin_nested():
            return conn.execute(statement)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        return None


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the integrity error is a unique (or primary) key taken, not a missing reference."""
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)  # the extended result code
    if code is not None:
        return code in (_SQLITE_CONSTRAINT_UNIQUE, _SQLITE_CONSTRAINT_PRIMARYKEY)
    return getattr(orig, "sqlstate", None) == _POSTGRES_UNIQUE_VIOLATION


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
def translated_errors() -> Iterator[None]:
    """Turn driver and SQLAlchemy errors raised inside into ``cairn.errors`` (cause logged)."""
    try:
        yield
    except errors.CairnError:
        raise
    except IntegrityError as exc:
        log.warning("integrity error: %s", exc)
        raise errors.InvalidParameter(
            "The change conflicts with data already stored (a duplicate or a missing reference)."
        ) from None
    except DataError as exc:
        # PostgreSQL checks what SQLite stores as given (a string over its column's length, an
        # integer over its column's range); the domain's limits should have refused it first.
        log.warning("value refused by the database: %s", exc)
        raise errors.InvalidParameter(
            "A value is too long or out of range for the tracking store; shorten it or use a smaller number."
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
