"""Consistent copies of the metadata database, and putting one back.

* SQLite: the online backup API (``sqlite3.Connection.backup``) in one step, so the copy is the
  database as one read transaction saw it, while writers carry on (WAL mode). Restoring runs the
  same API the other way, into the store's database.
* PostgreSQL: ``pg_dump -Fc`` run on a snapshot exported by a REPEATABLE READ transaction that
  stays open meanwhile, so the counts and listings read through that transaction describe exactly
  what the dump holds; restoring is ``pg_restore --clean``. The binaries come from ``PATH``, else
  the newest ``/usr/lib/postgresql/*/bin``; the password goes through ``PGPASSWORD``, never the
  command line.

``take_snapshot`` yields a connection that reads the copy, for the caller's counts and listings.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.engine import URL

from cairn import errors

from .database import Database
from .schema import experiments, logged_models, metadata, runs

log = logging.getLogger(__name__)

SQLITE_FILE = "metadata.sqlite"
POSTGRES_FILE = "metadata.pgdump"
DEFAULT_EXPERIMENT_ID = 0
_PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def metadata_file(dialect: str) -> str:
    """The name of the metadata copy inside a backup, by dialect."""
    return SQLITE_FILE if dialect == "sqlite" else POSTGRES_FILE


@contextmanager
def take_snapshot(db: Database, folder: Path) -> Iterator[Connection]:
    """Write a consistent copy of the metadata to ``folder / metadata_file(dialect)`` and yield a
    connection that reads exactly that copy (closed on exit)."""
    name = db.engine.dialect.name
    if name == "sqlite":
        target = folder / SQLITE_FILE
        _sqlite_copy(db, target)
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()
    elif name == "postgresql":
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                _run(["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(folder / POSTGRES_FILE)],
                     db.engine.url)
                yield conn
    else:
        raise errors.InvalidParameter(f"Backing up a {name} store is not supported; use SQLite or PostgreSQL.")


def restore_snapshot(db: Database, copy: Path) -> None:
    """Replace the (empty) store's metadata with the copy at ``copy``, made by ``take_snapshot``
    from a store of the same dialect."""
    name = db.engine.dialect.name
    if name == "sqlite":
        db.engine.dispose()
        source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        raw = db.engine.raw_connection()
        try:
            source.backup(raw.driver_connection)  # type: ignore[arg-type]
        finally:
            raw.close()
            source.close()
            db.engine.dispose()
    elif name == "postgresql":
        db.engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", str(copy)],
             db.engine.url, database_flag=True)
    else:
        raise errors.InvalidParameter(f"Restoring into a {name} store is not supported; use SQLite or PostgreSQL.")


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows per table of the schema, by table name."""
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def artifact_owners(conn: Connection) -> tuple[set[str], set[str]]:
    """The ids of every run and every logged model: what artifact folders may belong to."""
    run_ids = {r for (r,) in conn.execute(select(runs.c.run_id))}
    model_ids = {m for (m,) in conn.execute(select(logged_models.c.model_id))}
    return run_ids, model_ids


def schema_revision(conn: Connection) -> str | None:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def filled_tables(conn: Connection) -> list[str]:
    """The tables holding anything a user made: every row but the Default experiment counts."""
    found = []
    for table, count in table_counts(conn).items():
        if table == experiments.name:
            count = conn.execute(select(func.count()).select_from(experiments)
                                 .where(experiments.c.experiment_id != DEFAULT_EXPERIMENT_ID)).scalar_one()
        if count:
            found.append(table)
    return found


def _sqlite_copy(db: Database, target: Path) -> None:
    raw = db.engine.raw_connection()
    destination = sqlite3.connect(target)
    try:
        # pages=-1: one step, one read transaction, so the copy is one moment of the database.
        raw.driver_connection.backup(destination, pages=-1)  # type: ignore[union-attr]
        # A self-contained file (no -wal beside it), so its checksum is the copy's.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()
        raw.close()


def _run(command: Sequence[str], url: URL, *, database_flag: bool = False) -> None:
    binary = _pg_binary(command[0])
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    args = [binary, *command[1:], *(["-d", target] if database_flag else [target])]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log.error("%s failed with exit %s: %s", command[0], done.returncode, done.stderr)
        raise errors.StoreUnavailable(f"{command[0]} failed (exit {done.returncode}): "
                                      f"{done.stderr.strip()[:500] or 'no message'}")


def _pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/").glob(_PG_BIN_GLOB.lstrip("/")), key=lambda p: _major(p.parent.name))
    for folder in reversed(candidates):
        if (folder / name).exists():
            return str(folder / name)
    raise errors.StoreUnavailable(f"{name} was not found on PATH or under {_PG_BIN_GLOB}; install the PostgreSQL "
                                  "client programs (e.g. apt-get install postgresql-client) to back up or restore "
                                  "a PostgreSQL store.")


def _major(version: str) -> int:
    return int(version) if version.isdigit() else 0
