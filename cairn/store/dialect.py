"""The few statements whose SQL differs between SQLite and PostgreSQL.

* Both dialects support ``INSERT ... ON CONFLICT DO UPDATE`` with the same SQLAlchemy API, but the
  construct lives in dialect-specific modules; ``upsert`` and ``insert_ignore`` pick it.
* Metric points (``insert_points``), the hottest write: on SQLite one ``executemany`` of
  ``INSERT OR IGNORE`` with plain tuples; on PostgreSQL a binary ``COPY`` straight into the table
  (several times faster than multi-row INSERTs or ``executemany`` in psycopg's pipeline mode,
  measured in ``benchmarks/bench_pg_ingest.py``), inside a savepoint, because COPY has no ON
  CONFLICT: a batch that repeats a stored point (a client retrying a batch) rolls back to the
  savepoint and goes in with ``INSERT ... ON CONFLICT DO NOTHING`` instead. Batches smaller
  than ``COPY_MIN_POINTS`` skip COPY: its extra round trips cost more than they save.
* Long reads (``stream_rows``, a 100k-point history), the hottest read: rows come straight from
  the DB-API cursor as plain tuples, without SQLAlchemy's per-row wrapping; on PostgreSQL in
  psycopg's binary format (no text parsing of numbers), through a server-side cursor when the
  caller streams in chunks. For 100,000 points that is ~105 ms instead of ~180 ms through
  ``Connection.execute``.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    any_,
    bindparam,
    case,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

COPY_MIN_POINTS = 32
# A metric point as stored: (series_id, step, timestamp, value, is_nan).
Point = tuple[int, int, int, float, bool]
_POINT_COLUMNS = "series_id, step, timestamp, value, is_nan"
SQLITE_INSERT_POINTS = f"INSERT OR IGNORE INTO metrics ({_POINT_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
_POSTGRES_INSERT_POINTS = (
    f"INSERT INTO metrics ({_POINT_COLUMNS}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
_POSTGRES_COPY_POINTS = f"COPY metrics ({_POINT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_POSTGRES_POINT_TYPES = ("int4", "int8", "int8", "float8", "bool")


def _insert_for(conn: Connection, table: Table):  # type: ignore[no-untyped-def]
    return _insert_for_dialect(conn.dialect.name, table)


def _insert_for_dialect(name: str, table: Table):  # type: ignore[no-untyped-def]
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"Unsupported database dialect {name!r}")


def count_up(conn: Connection, table: Table, key: dict[str, Any], counter: str, started: str, now: int,
             window_ms: int) -> None:
    """Add one to ``counter`` of the row ``key`` in one statement (no lost increments between
    concurrent writers): the row is created at 1, and starts over at 1 when its window (``started``)
    is ``window_ms`` old."""
    stmt = _insert_for(conn, table).values(**key, **{counter: 1, started: now})
    expired = table.c[started] <= now - window_ms
    conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_={
        counter: case((expired, 1), else_=table.c[counter] + 1),
        started: case((expired, now), else_=table.c[started]),
    }))


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key_columns: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert rows, updating ``update_columns`` where the key exists."""
    if not rows:
        return
    stmt = _upsert_statement(conn.dialect.name, table, tuple(key_columns), tuple(update_columns))
    conn.execute(stmt, _in_key_order(rows, key_columns))


@functools.lru_cache(maxsize=64)
def _upsert_statement(dialect_name: str, table: Table, key_columns: tuple[str, ...], update_columns: tuple[str, ...]) -> Any:
    # Built once per shape: constructing ON CONFLICT clauses costs more than running them
    # (about 1 ms of a single log-metric call), and SQLAlchemy caches the compiled form.
    stmt = _insert_for_dialect(dialect_name, table)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=list(key_columns), set_={c: excluded[c] for c in update_columns}
    )


def upsert_returning(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key_columns: Sequence[str],
    update_columns: Sequence[str],
    only_if: Any,
    returning: Sequence[str],
    guard: Any = None,
) -> list[tuple[Any, ...]]:
    """``upsert`` that updates a stored row only where ``only_if(excluded, table)`` holds (e.g. a newer
    step for latest metrics), and returns ``returning`` of every row, stored before or not, in the
    same statement. A kept row is "updated" to its own values (``only_if`` picks, column by column,
    between the new value and the stored one), since a row left alone returns nothing.

    ``guard()`` (one row only): a condition over the row's bound parameters, checked in the same
    statement (``INSERT ... SELECT ... WHERE guard``); when it fails nothing is written or returned.
    It saves the caller a query, a round trip on PostgreSQL."""
    if not rows:
        return []
    if guard is not None and len(rows) != 1:
        raise ValueError("upsert_returning: a guard applies to one row")
    columns = tuple(rows[0]) if guard is not None else ()
    stmt = _upsert_returning_statement(
        conn.dialect.name, table, tuple(key_columns), tuple(update_columns), only_if, tuple(returning), guard, columns
    )
    return [tuple(row) for row in conn.execute(stmt, _in_key_order(rows, key_columns))]


@functools.lru_cache(maxsize=16)
def _upsert_returning_statement(
    dialect_name: str, table: Table, key_columns: tuple[str, ...], update_columns: tuple[str, ...], only_if: Any,
    returning: tuple[str, ...], guard: Any, columns: tuple[str, ...],
) -> Any:  # fmt: skip
    stmt = _insert_for_dialect(dialect_name, table)
    if guard is not None:
        # SQLite needs the WHERE to tell this SELECT's end from the ON CONFLICT clause; it has one.
        row = select(*(bindparam(c, type_=table.c[c].type) for c in columns)).where(guard())
        stmt = stmt.from_select(list(columns), row)
    excluded = stmt.excluded
    newer = only_if(excluded, table)
    return stmt.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={c: case((newer, excluded[c]), else_=table.c[c]) for c in update_columns},
    ).returning(*(table.c[c] for c in returning))


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key_columns: Sequence[str]) -> None:
    """Insert rows, leaving any whose key is stored already as it is."""
    if not rows:
        return
    stmt = _insert_for(conn, table).on_conflict_do_nothing(index_elements=list(key_columns))
    conn.execute(stmt, _in_key_order(rows, key_columns))


def _in_key_order(rows: Sequence[dict[str, Any]], key_columns: Sequence[str]) -> list[dict[str, Any]]:
    # Rows are written (and their keys locked, on PostgreSQL) in key order, so two transactions
    # writing overlapping keys wait for each other instead of deadlocking.
    return sorted(rows, key=lambda row: tuple(row[c] for c in key_columns))


def insert_points(conn: Connection, rows: Sequence[Point]) -> None:
    """Store metric points, skipping any already stored (MLflow keeps an identical point once)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(SQLITE_INSERT_POINTS, list(rows))
        return
    if len(rows) >= COPY_MIN_POINTS:
        try:
            with conn.begin_nested():
                _copy_points(conn, rows)
            return
        except IntegrityError:
            pass  # a point of the batch is stored already: insert the rest, skipping conflicts
    conn.exec_driver_sql(_POSTGRES_INSERT_POINTS, list(rows))


def _copy_points(conn: Connection, rows: Sequence[Point]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(_POSTGRES_COPY_POINTS) as copy:
            copy.set_types(_POSTGRES_POINT_TYPES)
            for row in rows:
                copy.write_row(row)
    except BaseException as exc:
        raise_as_sqlalchemy(_POSTGRES_COPY_POINTS, exc)
        raise
    finally:
        cursor.close()


def raise_as_sqlalchemy(statement: str, exc: BaseException) -> None:
    """A raw driver cursor (psycopg's, sqlite3's) bypasses SQLAlchemy: raise the driver's error as
    SQLAlchemy would (a unique violation becomes IntegrityError, a locked file OperationalError), so
    callers and the store's boundary see one kind. Returns (for the caller to re-raise) when
    ``exc`` is not a driver error."""
    if isinstance(exc, sqlite3.Error):
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
    psycopg = sys.modules.get("psycopg")  # loaded if a PostgreSQL store is open; optional otherwise
    if psycopg is not None and isinstance(exc, psycopg.Error):
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def among(conn: Connection, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` for a long list of values (a page of 1,000 run ids). On PostgreSQL it is
    ``column = ANY(%(array)s)`` with one array parameter: an IN list of 1,000 placeholders costs
    SQLAlchemy and psycopg ~15 ms a query to render and parse, more than PostgreSQL takes to run it."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))  # type: ignore[no-any-return]
    # SQLite: the same one parameter, a JSON array that json_each() reads in C; the planner still
    # probes the column's index once per value.
    listed = func.json_each(bindparam(None, orjson.dumps(list(values)).decode())).table_valued("value")
    return column.in_(select(listed.c.value))  # type: ignore[no-any-return]


_cursor_names = itertools.count()


def stream_rows(conn: Connection, stmt: Select[Any], chunk_size: int | None) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``stmt`` as plain tuples in chunks of ``chunk_size`` (all at once for None),
    read from one DB-API cursor in ``conn``'s transaction (see the module doc)."""
    compiled = stmt.compile(conn)
    params = compiled.construct_params()
    if conn.dialect.name == "sqlite":
        result = conn.exec_driver_sql(str(compiled), tuple(params[name] for name in compiled.positiontup or ()))
        cursor: Any = result.cursor
        close = result.close
    else:
        raw = conn.connection.dbapi_connection
        if chunk_size is None:
            cursor = raw.cursor(binary=True)  # type: ignore[union-attr]
        else:  # a server-side cursor: a streamed million-point answer never sits in memory whole
            cursor = raw.cursor(name=f"cairn_stream_{next(_cursor_names)}", binary=True)  # type: ignore[union-attr]
            cursor.itersize = chunk_size
        close = cursor.close
        try:
            cursor.execute(str(compiled), params)
        except BaseException as exc:
            cursor.close()
            raise_as_sqlalchemy(str(compiled), exc)
            raise
    try:
        while True:
            try:
                rows = cursor.fetchall() if chunk_size is None else cursor.fetchmany(chunk_size)
            except BaseException as exc:
                if conn.dialect.name != "sqlite":
                    raise_as_sqlalchemy(str(compiled), exc)
                raise
            if not rows:
                return
            yield rows
            if chunk_size is None:
                return
    finally:
        close()


def catch_up_id_sequence(conn: Connection, table: Table, column: str) -> None:
    """After rows were inserted with explicit ids into an auto-numbered column: make the next
    generated id follow the largest one. PostgreSQL's sequence does not see explicit ids (the next
    insert would collide); SQLite numbers from the largest rowid already, so it needs nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                 f"GREATEST((SELECT MAX({column}) FROM {table.name}), 1))"),
            {"table": table.name, "column": column},
        )
