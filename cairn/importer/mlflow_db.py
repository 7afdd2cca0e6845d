"""An MLflow store read straight from its database (``--from sqlite:///mlflow.db`` or
``postgresql://...``), with SQLAlchemy Core.

MLflow's tables are reflected, not declared: columns MLflow added over the years (``workspace``,
an input's ``step``, ``storage_location``...) are read when present, so stores written by
older and newer MLflow versions read alike; the tables MLflow 3 added (logged models) are
optional. Nothing is written. Only the ``default`` workspace is read where MLflow has
workspaces. Files come from ``artifact_files`` (``--artifacts`` for ``mlflow-artifacts:/``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from cairn.entities import Dataset, DatasetInput, LifecycleStage, Metric
from cairn.errors import InvalidParameter, NotFound, StoreUnavailable
from cairn.registry.imports import ImportedModel
from cairn.tracking.imports import ImportedExperiment, ImportedRun
from cairn.tracking.logged_models import ModelLink
from cairn.tracking.runs import RUN_NAME_TAG

from . import mlflow_db_models
from .artifact_files import ArtifactFiles
from .records import (
    FilesRoot,
    SourceExperiment,
    SourceFile,
    SourceLoggedModel,
    SourceRun,
)

REQUIRED = ("experiments", "experiment_tags", "runs", "params", "tags", "metrics")
OPTIONAL = ("datasets", "inputs", "input_tags", "logged_models", "logged_model_tags", "logged_model_params",
            "logged_model_metrics", "registered_models", "model_versions", "registered_model_tags",
            "model_version_tags", "registered_model_aliases")
DEFAULT_WORKSPACE = "default"
# The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
# Runs loaded per round of queries (each an IN over their ids).
RUNS_PER_QUERY = 500


class MlflowDatabase:
    """``Source`` over an MLflow tracking database."""

    def __init__(self, uri: str, artifacts: str | None) -> None:
        url = _engine_url(uri)
        self.label = url.render_as_string(hide_password=True)
        self.engine = _connect(url, self.label)
        self.tables = _reflect(self.engine, self.label)
        self.files = ArtifactFiles(artifacts)
        proxied = next((e for e in self.experiments() if self.files.needs_root(e.artifact_location)), None)
        if proxied is not None:
            raise InvalidParameter(
                f"Experiment '{proxied.experiment.name}' keeps its files behind the MLflow server's proxy "
                f"({proxied.artifact_location}): give --artifacts, the folder or s3:// URI that server stores them "
                "in (its --artifacts-destination)."
            )

    def close(self) -> None:
        self.engine.dispose()

    # experiments and runs ----------------------------------------------------------------
    def experiments(self) -> list[SourceExperiment]:
        e, t = self.tables["experiments"], self.tables["experiment_tags"]
        with self._read() as conn:
            rows = conn.execute(select(e).where(*self.in_workspace(e)).order_by(e.c.experiment_id)).all()
            tags: dict[int, dict[str, str]] = {}
            for experiment_id, key, value in conn.execute(select(t.c.experiment_id, t.c.key, t.c.value)):
                tags.setdefault(experiment_id, {})[key] = value or ""
        return [SourceExperiment(ImportedExperiment(
            experiment_id=str(row.experiment_id), name=row.name,
            lifecycle_stage=row.lifecycle_stage or LifecycleStage.ACTIVE.value,
            creation_time=row.creation_time, last_update_time=row.last_update_time,
            tags=tags.get(row.experiment_id, {}),
        ), row.artifact_location or "") for row in rows]  # fmt: skip

    def count_runs(self) -> int:
        r, e = self.tables["runs"].c, self.tables["experiments"]
        stmt = select(func.count()).select_from(self.tables["runs"]).where(
            r.experiment_id.in_(select(e.c.experiment_id).where(*self.in_workspace(e))))
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

    def runs(self, experiment_id: str) -> Iterator[SourceRun]:
        r = self.tables["runs"].c
        with self._read() as conn:
            ids = list(conn.execute(
                select(r.run_uuid).where(r.experiment_id == int(experiment_id)).order_by(r.start_time, r.run_uuid)
            ).scalars())
        for start in range(0, len(ids), RUNS_PER_QUERY):
            with self._read() as conn:
                found = self._load_runs(conn, ids[start:start + RUNS_PER_QUERY])
            yield from found

    def metric_points(self, run: SourceRun, chunk_size: int) -> Iterator[list[Metric]]:
        m = self.tables["metrics"].c
        is_nan = m.is_nan if "is_nan" in m else None
        stmt = select(m.key, m.value, m.timestamp, m.step, *([is_nan] if is_nan is not None else [])) \
            .where(m.run_uuid == run.run.run_id).order_by(m.key, m.step, m.timestamp)
        with self._read() as conn:
            result = conn.execution_options(stream_results=True).execute(stmt)
            while rows := result.fetchmany(chunk_size):
                yield [Metric(row[0], math.nan if (len(row) > 4 and row[4]) or row[1] is None else float(row[1]),
                              int(row[2] or 0), int(row[3] or 0)) for row in rows]

    # logged models and the registry --------------------------------------------------------
    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]:
        if "logged_models" not in self.tables:
            return []
        with self._read() as conn:
            return mlflow_db_models.logged_models(conn, self.tables, int(experiment_id))

    def registered_models(self) -> list[ImportedModel]:
        if "registered_models" not in self.tables or "model_versions" not in self.tables:
            return []
        with self._read() as conn:
            return mlflow_db_models.registered_models(conn, self.tables, self.in_workspace)

    # files ------------------------------------------------------------------------------
    def list_files(self, root: FilesRoot) -> list[SourceFile]:
        return self.files.list_files(root.uri)

    def fetch_file(self, root: FilesRoot, path: str, dest: Path) -> None:
        self.files.fetch(root.uri, path, dest)

    # helpers -------------------------------------------------------------------------------
    def in_workspace(self, table: Table) -> list[Any]:
        return [table.c.workspace == DEFAULT_WORKSPACE] if "workspace" in table.c else []

    def _read(self) -> AbstractContextManager[Connection]:
        return _translated(self.engine, self.label)

    def _load_runs(self, conn: Connection, ids: list[str]) -> list[SourceRun]:
        t = self.tables
        r = t["runs"].c
        params = _by_run(conn, t["params"], ids)
        tags = _by_run(conn, t["tags"], ids)
        inputs = self._inputs(conn, ids)
        links = self._links(conn, ids)
        found = []
        for row in conn.execute(select(t["runs"]).where(r.run_uuid.in_(ids)).order_by(r.start_time, r.run_uuid)):
            run_tags = tags.get(row.run_uuid, {})
            found.append(SourceRun(ImportedRun(
                run_id=row.run_uuid, experiment_id=str(row.experiment_id),
                run_name=row.name or run_tags.get(RUN_NAME_TAG, ""), user_id=row.user_id or "",
                status=row.status or "FINISHED", start_time=row.start_time, end_time=row.end_time,
                lifecycle_stage=row.lifecycle_stage or LifecycleStage.ACTIVE.value,
                deleted_time=getattr(row, "deleted_time", None), params=params.get(row.run_uuid, {}), tags=run_tags,
                inputs=inputs.get(row.run_uuid, []), model_links=links.get(row.run_uuid, []),
            ), row.artifact_uri or ""))  # fmt: skip
        return found

    def _inputs(self, conn: Connection, ids: list[str]) -> dict[str, list[DatasetInput]]:
        t = self.tables
        if not {"datasets", "inputs"} <= t.keys():
            return {}
        i, d = t["inputs"].c, t["datasets"].c
        stmt = (select(i.input_uuid, i.destination_id, t["datasets"]).join(t["datasets"], d.dataset_uuid == i.source_id)
                .where(i.source_type == "DATASET", i.destination_type == "RUN", i.destination_id.in_(ids))
                .order_by(d.name))
        rows = conn.execute(stmt).all()
        input_tags: dict[str, dict[str, str]] = {}
        if "input_tags" in t and rows:
            it = t["input_tags"].c
            for input_uuid, name, value in conn.execute(
                select(it.input_uuid, it.name, it.value).where(it.input_uuid.in_([row.input_uuid for row in rows]))
            ):
                input_tags.setdefault(input_uuid, {})[name] = value
        found: dict[str, list[DatasetInput]] = {}
        for row in rows:
            dataset = Dataset(row.name, row.digest, row.dataset_source_type or "", row.dataset_source or "",
                              row.dataset_schema, row.dataset_profile)
            found.setdefault(row.destination_id, []).append(DatasetInput(dataset, input_tags.get(row.input_uuid, {})))
        return found

    def _links(self, conn: Connection, ids: list[str]) -> dict[str, list[ModelLink]]:
        if "inputs" not in self.tables:
            return {}
        i = self.tables["inputs"].c
        step = i.step if "step" in i else None
        stmt = select(i.source_id, i.destination_id, i.destination_type, *([step] if step is not None else [])).where(
            i.source_type.in_(["RUN_INPUT", "RUN_OUTPUT"]), i.destination_type.in_(["MODEL_INPUT", "MODEL_OUTPUT"]),
            i.source_id.in_(ids))
        found: dict[str, list[ModelLink]] = {}
        for row in conn.execute(stmt):
            direction = "input" if row[2] == "MODEL_INPUT" else "output"
            found.setdefault(row[0], []).append(ModelLink(row[1], direction, int(row[3] or 0) if len(row) > 3 else 0))
        return found


def _by_run(conn: Connection, table: Table, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    c = table.c
    found: dict[str, dict[str, str]] = {}
    for run_id, key, value in conn.execute(select(c.run_uuid, c.key, c.value).where(c.run_uuid.in_(list(ids)))):
        found.setdefault(run_id, {})[key] = value or ""
    return found


def _engine_url(uri: str) -> Any:
    try:
        url = make_url(uri)
    except ArgumentError:
        raise InvalidParameter(f"--from '{uri[:200]}' is not a database URI; use sqlite:///path/to/mlflow.db or "
                               "postgresql://user@host/db (or --from-server for an MLflow server).") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")  # MLflow's URIs name no driver; Cairn ships psycopg 3
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not url.database or not path.is_file():
            raise NotFound(f"No MLflow database at {url.database or '(no path)'}: the file does not exist.")
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise InvalidParameter(f"{path} is not an MLflow tracking database: the file is not SQLite.")
    return url


def _connect(url: Any, label: str) -> Engine:
    try:
        return create_engine(url)
    except (NoSuchModuleError, ImportError) as exc:
        raise InvalidParameter(f"Cannot read {label}: its database driver is not installed ({exc}).") from None


def _reflect(engine: Engine, label: str) -> dict[str, Table]:
    with _translated(engine, label) as conn:
        names = set(inspect(conn).get_table_names())
        runs_columns = {c["name"] for c in inspect(conn).get_columns("runs")} if "runs" in names else set()
        if not set(REQUIRED) <= names or "run_uuid" not in runs_columns:
            raise InvalidParameter(f"{label} is not an MLflow tracking database: it lacks MLflow's tables "
                                   "(experiments, runs with run_uuid, metrics, params, tags).")
        metadata = MetaData()
        metadata.reflect(conn, only=[n for n in (*REQUIRED, *OPTIONAL) if n in names])
    return dict(metadata.tables)


@contextmanager
def _translated(engine: Engine, label: str) -> Iterator[Connection]:
    """A read connection whose driver errors come out as one-line ``cairn.errors``."""
    try:
        with engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise _error(label, exc) from None


def _error(label: str, exc: SQLAlchemyError) -> Exception:
    lines = str(getattr(exc, "orig", None) or exc).splitlines()
    return StoreUnavailable(f"Cannot read the MLflow database {label}: {lines[0] if lines else type(exc).__name__}")
