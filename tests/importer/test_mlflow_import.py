"""Moving a real MLflow store into Cairn: read through its database (``--from sqlite:///...`` with
``--artifacts``) or through its server (``--from-server``), into a running ``cairn server`` or an
embedded store later served by one. The real mlflow client then reads the same experiments, runs,
histories, files, logged models and registry from Cairn as it read from MLflow, field by field,
and a model loaded by alias predicts the same.

What legitimately differs, and is left out of the comparison:
* the Default experiment's creation and update times: Cairn's own Default experiment existed
  before the import, which matches it by name and leaves it as it was;
* nothing else: experiment and run ids, artifact URIs, times, stages, sources and download URIs
  come out as MLflow wrote them (the experiment ids were free, so they were kept).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import pytest

from cairn.client import tracking_uri
from cairn.client.client import Client
from tests import backends

from .conftest import FEATURES, MODEL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

SOURCES = ["database", "server"]


@pytest.fixture(scope="module")
def mlflow_view(mlflow_store: Any, read_store: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    return read_store(mlflow_store.url)


def _source(how: str, store: Any) -> list[str]:
    if how == "database":
        return ["--from", store.db_uri, "--artifacts", str(store.artifacts)]
    return ["--from-server", store.url]


def _comparable(view: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(view)
    for field in ("creation_time", "last_update_time"):
        view["experiments"]["Default"].pop(field)
    return view


def assert_same_view(expected: dict[str, Any], found: dict[str, Any]) -> None:
    expected, found = _comparable(expected), _comparable(found)
    for section in ("experiments", "runs", "logged_models", "registered_models"):
        assert found[section].keys() == expected[section].keys(), section
        for key, value in expected[section].items():
            assert found[section][key] == value, f"{section}[{key}]"


def _predictions(uri: str) -> list[int]:
    mlflow.set_tracking_uri(uri)
    try:
        return [int(p) for p in mlflow.pyfunc.load_model(f"models:/{MODEL}@champion").predict(np.array(FEATURES))]
    finally:
        mlflow.set_tracking_uri(None)


@dataclass
class Imported:
    how: str
    server: Any
    command: tuple[str, ...]
    summary: dict[str, Any]


@pytest.fixture(scope="module", params=SOURCES)
def imported(request: pytest.FixtureRequest, mlflow_store: Any, server_factory: Callable[..., Any],
             cairn_cli: Callable[..., Any]) -> Imported:
    """The MLflow store imported once into a fresh ``cairn server``, from its database or its server."""
    cairn = server_factory()
    command = ("--tracking-uri", cairn.url, "import", "mlflow", *_source(request.param, mlflow_store), "--json")
    done = cairn_cli(*command)
    assert done.returncode == 0, done.stderr
    return Imported(request.param, cairn, command, json.loads(done.stdout))


def test_the_import_counts_what_it_copied(
    imported: Imported, import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    counted = import_counts(imported.summary)
    assert counted["experiments"] == (3, 1, 0)  # churn, vision, abandoned; Default was there
    assert counted["runs"] == (6, 0, 0)
    assert counted["logged models"] == (3, 0, 0)
    assert counted["registered models"] == (1, 0, 0)
    assert counted["model versions"] == (4, 0, 0)
    assert counted["aliases"] == (1, 0, 0)
    assert counted["metric points"][0] >= 3 * 6 + 3 + 1 + 1 and counted["artifacts"][0] == 3 * 2 + 3 * 5
    assert imported.summary["failures"] == []


def test_mlflow_client_reads_from_cairn_server_what_it_read_from_mlflow(
    imported: Imported, mlflow_view: dict[str, Any], read_store: Callable[[str], dict[str, Any]],
) -> None:
    assert_same_view(mlflow_view, read_store(imported.server.url))


def test_a_model_loaded_by_alias_from_cairn_predicts_the_same(imported: Imported, mlflow_store: Any) -> None:
    assert _predictions(imported.server.url) == _predictions(mlflow_store.url)


def test_importing_again_copies_nothing(
    imported: Imported, cairn_cli: Callable[..., Any],
    import_counts: Callable[[dict[str, Any]], dict[str, tuple[int, int, int]]],
) -> None:
    again = cairn_cli(*imported.command)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert {kind: copied for kind, (copied, _, _) in import_counts(summary).items() if copied} == {}
    assert summary["failures"] == []
    assert import_counts(summary)["runs"] == (0, 6, 0)
    assert import_counts(summary)["model versions"] == (0, 4, 0)


def test_an_embedded_import_serves_the_same_once_a_server_opens_the_store(
    tmp_path: Any, mlflow_store: Any, mlflow_view: dict[str, Any], server_factory: Callable[..., Any],
    cairn_cli: Callable[..., Any], read_store: Callable[[str], dict[str, Any]],
) -> None:
    store, files = tmp_path / "store", tmp_path / "artifacts"
    done = cairn_cli("--tracking-uri", str(store), "import", "mlflow", *_source("database", mlflow_store),
                     env={"CAIRN_ARTIFACTS_ROOT": str(files)})
    assert done.returncode == 0, done.stderr
    assert "runs" in done.stdout and "Already there" in done.stdout  # the summary table
    cairn = server_factory("--backend-store-uri", str(store), "--artifacts-destination", str(files))
    assert_same_view(mlflow_view, read_store(cairn.url))
    assert _predictions(cairn.url) == _predictions(mlflow_store.url)


def test_the_registry_state_opens_the_audit_trail_marked_as_imported(
    tmp_path: Any, mlflow_store: Any, cairn_cli: Callable[..., Any],
) -> None:
    store = tmp_path / "store"
    done = cairn_cli("--tracking-uri", str(store), "import", "mlflow", *_source("database", mlflow_store),
                     "--user", "migrator")
    assert done.returncode == 0, done.stderr
    client = Client(tracking_uri=str(store))
    try:
        events = client.audit(MODEL)
        timeline = client.timeline(MODEL)
    finally:
        client.close()
        tracking_uri.close_all()
    assert [(e.action, e.version, e.to_value) for e in events] == [
        ("model_created", None, None),
        ("version_created", 1, "None"), ("promote", 1, "Archived"),
        ("version_created", 2, "None"), ("promote", 2, "Staging"),
        ("version_created", 3, "None"), ("promote", 3, "Production"),
        ("version_created", 4, "None"),
        ("alias_set", 3, "3"),
    ]
    assert all(e.details["imported_from"] == "mlflow" and e.reason == "imported" for e in events)
    assert {e.actor for e in events} == {"migrator"}
    production = [i for i in timeline if i.kind == "stage"]
    assert [(i.label, i.version, i.end) for i in production] == [("Production", 3, None)]


@pytest.mark.skipif(not backends.on_postgres(), reason="SQLite plans from its indexes alone: an import has no "
                                                      "planner statistics to bring up to date there")
def test_an_import_into_postgresql_leaves_the_planner_statistics_current(imported: Imported) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(imported.server.store_uri).database
    with backends.postgres_cluster().connect(database) as conn:
        analyzed = dict(conn.execute("SELECT relname, last_analyze FROM pg_stat_user_tables "
                                     "WHERE relname IN ('runs', 'metrics', 'experiments')").fetchall())
    assert set(analyzed) == {"runs", "metrics", "experiments"}
    assert all(when is not None for when in analyzed.values()), analyzed
