"""Which store the suite runs on, chosen in one place: ``new_store``.

``CAIRN_TEST_STORE`` picks the metadata store: ``sqlite`` (default; a file in the test's temp
folder) or ``postgresql`` (a fresh database per store in one throwaway cluster per session, see
``tests/servers/postgres.py``). Artifacts are a local folder either way. Every fixture that makes a
store (``db``, ``store_dir``, ``start_server`` in the root conftest and the folder conftests) asks
``new_store`` for its URIs, so switching the backend, or the artifact store, happens here.

Either way a store starts migrated from a template made once per test process: on PostgreSQL
each store is a ``CREATE DATABASE ... TEMPLATE`` copy of a migrated database (about 30 ms), on
SQLite a copy of a migrated file (under a millisecond, against 0.3–0.7 s to migrate a new file,
which a third of the tracking and registry tests' time went to). Tests of creating and migrating
a store ask for ``migrated=False`` or open a path of their own.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.servers import postgres

ENV_STORE = "CAIRN_TEST_STORE"
SQLITE, POSTGRESQL = "sqlite", "postgresql"
TEMPLATE = "cairn_template"
_DATABASE_PREFIX = "cairn_test_"
ARTIFACTS_ROOT_VARIABLE = "CAIRN_ARTIFACTS_ROOT"  # cairn.client.tracking_uri.ENV_ARTIFACTS_ROOT

_cluster: postgres.Cluster | None = None
_sqlite_template: Path | None = None
_lock = threading.Lock()
_names = itertools.count(1)
# The test running now when it is marked ``store_independent``: it runs in one pass only, which
# holds only while it never asks for the store under test (``forbid_store`` enforces that).
_store_free_test: str | None = None


def store_backend() -> str:
    """``sqlite`` or ``postgresql``, from ``CAIRN_TEST_STORE``."""
    chosen = os.environ.get(ENV_STORE, SQLITE).strip().lower() or SQLITE
    if chosen not in (SQLITE, POSTGRESQL):
        raise pytest.UsageError(f"{ENV_STORE}={chosen!r}: use {SQLITE} or {POSTGRESQL}.")
    return chosen


def check_store_backend() -> None:
    """``pytest.UsageError`` for a wrong ``CAIRN_TEST_STORE``, or PostgreSQL without its binaries."""
    if store_backend() == POSTGRESQL:
        try:
            postgres.binaries()
        except postgres.PostgresMissing as exc:
            raise pytest.UsageError(f"{ENV_STORE}={POSTGRESQL}: {exc}") from None


def on_postgres() -> bool:
    return store_backend() == POSTGRESQL


@contextmanager
def store_free(nodeid: str) -> Iterator[None]:
    """While ``nodeid`` (a test marked ``store_independent``) runs, from its fixtures' setup to
    their teardown, any request for the store under test fails it."""
    global _store_free_test
    _store_free_test = nodeid
    try:
        yield
    finally:
        _store_free_test = None


def forbid_store(what: str) -> None:
    """Fail the running test when it is marked ``store_independent`` yet asks for ``what``: its
    mark would skip it in one pass although the store under test changes what it checks."""
    if _store_free_test is not None:
        pytest.fail(f"{_store_free_test} is marked store_independent (it runs in one pass only) "
                    f"but asked for {what}: remove the mark", pytrace=False)


def new_store(root: Path, *, migrated: bool = True) -> tuple[str, Path]:
    """A fresh, empty store for one test or server: ``(backend_store_uri, artifacts_destination)``.

    ``migrated=False`` gives a store whose schema does not exist yet (a brand-new database), for
    tests of creating and migrating it.
    """
    forbid_store("a store (backends.new_store)")
    artifacts = root / "artifacts"
    if not on_postgres():
        path = root / "store" / "cairn.db"
        if migrated:
            copy_migrated_sqlite(path)
        return f"sqlite:///{path}", artifacts
    return new_postgres_database(migrated=migrated), artifacts


def copy_migrated_sqlite(path: Path) -> None:
    """Put a migrated, empty SQLite store at ``path`` (unless a file is there already)."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            from cairn.store.database import open_database

            folder = Path(tempfile.mkdtemp(prefix="cairn-template-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            template = folder / "cairn.db"
            open_database(f"sqlite:///{template}").close()  # the last connection folds the WAL in
            _sqlite_template = template
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template, path)


@contextmanager
def models_store(folder: Path, module_name: str) -> Iterator[str]:
    """``embedded_store`` set up for logging model functions defined in the test module
    ``module_name``: the fluent API points at it, automatic capture is off, and the module's
    functions are pickled by value (so a `cairn serve` subprocess loads them without importing the
    test module). Everything is put back on exit."""
    import cloudpickle

    from cairn.client import fluent, tracking_uri

    module = sys.modules[module_name]
    cloudpickle.register_pickle_by_value(module)
    with pytest.MonkeyPatch.context() as patch, embedded_store(folder) as uri:
        patch.setenv("CAIRN_CAPTURE", "none")
        fluent.set_tracking_uri(uri)
        try:
            yield uri
        finally:
            fluent.set_tracking_uri(None)
            tracking_uri.close_all()
            cloudpickle.unregister_pickle_by_value(module)


def register_versions(name: str, models: Sequence[Any], signature: Any, input_example: Any = None) -> None:
    """Log each of ``models`` in a run of its own as the next version of the registered model
    ``name`` (in the store the fluent API points at), in order: version 1 is ``models[0]``."""
    import cairn

    for model in models:
        with cairn.start_run():
            cairn.log_model(model, "model", signature=signature, input_example=input_example,
                            registered_model_name=name)


@contextmanager
def embedded_store(folder: Path) -> Iterator[str]:
    """An embedded store for the SDK and the CLI, as the tracking URI to point them at.

    SQLite: the folder itself (its ``cairn.db`` and ``artifacts/``). PostgreSQL: a new database,
    with ``CAIRN_ARTIFACTS_ROOT`` (the SDK's artifact folder for a database URL) naming
    ``folder/artifacts`` until the block ends (subprocesses started inside inherit it); the SDK's
    backend for it is closed and the database dropped then.
    """
    forbid_store("a store (backends.embedded_store)")
    if not on_postgres():
        copy_migrated_sqlite(folder / "cairn.db")
        yield str(folder)
        return
    uri, artifacts = new_store(folder)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(ARTIFACTS_ROOT_VARIABLE, str(artifacts))
            yield uri
    finally:
        from cairn.client import tracking_uri

        tracking_uri.close_backend(uri)  # the SDK's pooled connections, before the database goes
        drop_store(uri)


def new_postgres_database(*, migrated: bool = True) -> str:
    """A new database in the session's cluster (started on first use), as a SQLAlchemy URL."""
    forbid_store("a PostgreSQL database (backends.new_postgres_database)")
    cluster = postgres_cluster()
    name = f"{_DATABASE_PREFIX}{os.getpid()}_{next(_names)}"
    template = TEMPLATE if migrated else "template0"
    with cluster.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return cluster.url(name)


def drop_store(backend_store_uri: str) -> None:
    """Drop a PostgreSQL store made by ``new_store`` (closing its connections); SQLite files go
    with the test's temp folder."""
    if _cluster is None or not backend_store_uri.startswith("postgresql"):
        return
    name = backend_store_uri.rsplit("/", 1)[1]
    with _cluster.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_cluster() -> postgres.Cluster:
    """The session's cluster, started (with the migrated template database) on first use."""
    global _cluster
    with _lock:
        if _cluster is None:
            cluster = postgres.start_cluster()
            try:
                _make_template(cluster)
            except BaseException:
                cluster.stop()
                raise
            _cluster = cluster
            atexit.register(stop_postgres)
        return _cluster


def stop_postgres() -> None:
    global _cluster
    with _lock:
        cluster, _cluster = _cluster, None
    if cluster is not None:
        cluster.stop()


def _make_template(cluster: postgres.Cluster) -> None:
    from cairn.store.database import open_database

    with cluster.connect() as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    open_database(cluster.url(TEMPLATE)).close()


def store_bytes(backend_store_uri: str) -> bytes:
    """Everything a store holds, to search for what must not be there: the SQLite files (database
    and write-ahead log) as they are on disk, or every row of every PostgreSQL table as text."""
    if backend_store_uri.startswith("sqlite:///"):
        folder = Path(backend_store_uri[len("sqlite:///"):]).parent
        return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())
    import sqlalchemy as sa

    engine = sa.create_engine(backend_store_uri)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        with engine.connect() as conn:
            text = "\n".join(repr(row) for table in tables.sorted_tables for row in conn.execute(sa.select(table)))
    finally:
        engine.dispose()
    return text.encode()
