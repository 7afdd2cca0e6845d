"""The few statements whose SQL differs between SQLite and PostgreSQL.

Both dialects support ``INSERT ... ON CONFLICT DO UPDATE`` with the same SQLAlchemy API, but the
construct lives in dialect-specific modules; this is the one place that picks it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite


def _insert_for(conn: Connection, table: Table):  # type: ignore[no-untyped-def]
    return _insert_for_dialect(conn.dialect.name, table)


def _insert_for_dialect(name: str, table: Table):  # type: ignore[no-untyped-def]
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"Unsupported database dialect {name!r}")


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key_columns: Sequence[str],
    update_columns: Sequence[str],
    only_if: Any = None,
) -> None:
    """Insert rows, updating ``update_columns`` where the key exists (optionally only when
    ``only_if(excluded, table)`` holds, e.g. a newer step for latest metrics)."""
    if not rows:
        return
    stmt = _upsert_statement(conn.dialect.name, table, tuple(key_columns), tuple(update_columns), only_if)
    conn.execute(stmt, list(rows))


@functools.lru_cache(maxsize=64)
def _upsert_statement(
    dialect_name: str, table: Table, key_columns: tuple[str, ...], update_columns: tuple[str, ...], only_if: Any
) -> Any:
    # Built once per shape: constructing ON CONFLICT clauses costs more than running them
    # (about 1 ms of a single log-metric call), and SQLAlchemy caches the compiled form.
    stmt = _insert_for_dialect(dialect_name, table)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={c: excluded[c] for c in update_columns},
        where=only_if(excluded, table) if only_if is not None else None,
    )


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key_columns: Sequence[str]) -> None:
    if not rows:
        return
    stmt = _insert_for(conn, table).on_conflict_do_nothing(index_elements=list(key_columns))
    conn.execute(stmt, list(rows))


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
