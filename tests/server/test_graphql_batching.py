"""A GraphQL run search that asks for each run's experiment and model versions reads them for all
runs at once: the statement count does not grow with the number of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from cairn.artifacts.local import LocalArtifactStore
from cairn.entities import Actor
from cairn.registry.models import create_registered_model
from cairn.registry.versions import register_model
from cairn.server.graphql_api.execution import run_query
from cairn.server.graphql_api.resolvers import QueryContext
from cairn.store.database import Database
from cairn.tracking import experiments, runs

QUERY = """
  query SearchRuns($data: MlflowSearchRunsInput!) {
    mlflowSearchRuns(input: $data) {
      runs { info { runUuid } experiment { name } modelVersions { name version } }
    }
  }
"""


def statements_for_search(db: Database, artifacts: LocalArtifactStore, experiment_ids: list[str]) -> tuple[int, Any]:
    count = 0

    def counted(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        answer = run_query(QUERY, {"data": {"experimentIds": experiment_ids}}, None, QueryContext(db, artifacts))
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count, answer


def test_run_search_reads_experiments_and_versions_in_a_fixed_number_of_statements(
    db: Database, tmp_path: Path
) -> None:
    artifacts = LocalArtifactStore(tmp_path / "artifacts")
    actor = Actor("tester")
    create_registered_model(db, "model", actor)
    first = experiments.create_experiment(db, "first")
    second = experiments.create_experiment(db, "second")
    few = [runs.create_run(db, first).run_id for _ in range(2)]
    register_model(db, f"runs:/{few[0]}/model", "model", actor, run_id=few[0])
    few_count, few_answer = statements_for_search(db, artifacts, [first])
    many = [runs.create_run(db, second).run_id for _ in range(40)]
    for run_id in many[:10]:
        register_model(db, f"runs:/{run_id}/model", "model", actor, run_id=run_id)
    many_count, many_answer = statements_for_search(db, artifacts, [first, second])

    assert few_answer["errors"] is None and many_answer["errors"] is None
    found = many_answer["data"]["mlflowSearchRuns"]["runs"]
    assert len(found) == 42 and {r["experiment"]["name"] for r in found} == {"first", "second"}
    assert sum(len(r["modelVersions"]) for r in found) == 11
    assert many_count == few_count
