"""What goes wrong at /graphql comes back as MLflow sends it: status 200 with the messages in
``errors`` for anything inside the query (size limits included), 400 for a malformed request;
never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

UNKNOWN_RUN = "0" * 32


def errors_of(http: httpx.Client, query: str, **extra: Any) -> tuple[Any, list[str]]:
    response = http.post("/graphql", json={"query": query, **extra})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["errors"], list) and all(isinstance(e, str) for e in body["errors"]), body
    return body["data"], body["errors"]


def test_a_failing_field_is_null_with_its_error(http: httpx.Client) -> None:
    data, errors = errors_of(http, '{ mlflowGetRun(input: {runId: "%s"}) { run { info { runId } } } }' % UNKNOWN_RUN)
    assert data == {"mlflowGetRun": None}
    assert errors == [f"Run with id={UNKNOWN_RUN} not found. Check the id with `cairn runs list`."]


def test_other_root_fields_still_answer_when_one_fails(http: httpx.Client) -> None:
    query = '{ a: test(inputString: "ok") { output } b: mlflowGetExperiment(input: {experimentId: "x"}) { experiment { name } } }'
    data, errors = errors_of(http, query)
    assert data == {"a": {"output": "ok"}, "b": None}
    assert len(errors) == 1 and "Invalid experiment id" in errors[0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ mlflowGetRun(input: {runId: ", "Syntax Error"),
        ("{ mlflowGetRun(input: {}) { run { nothing } } }", "Cannot query field 'nothing'"),
        ('{ mlflowGetMetricHistoryBulkInterval(input: {runIds: ["a"], metricKey: "m", maxResults: 0}) { metrics { key } } }',
         "max_results must be between 1 and 2500"),
        ('{ mlflowGetMetricHistoryBulkInterval(input: {runIds: [], metricKey: "m"}) { metrics { key } } }',
         "Missing value for required parameter 'run_ids'."),
        ('{ mlflowListArtifacts(input: {runId: "%s", path: "../../etc"}) { files { path } } }' % UNKNOWN_RUN,
         "not found"),
        ('{ mlflowSearchModelVersions(input: {maxResults: "many"}) { modelVersions { name } } }',
         "Expected value of type 'LongString'"),
        ("mutation { mlflowSearchDatasets(input: {experimentIds: []}) { datasetSummaries { name } } }",
         "SearchDatasets request must specify at least one experiment_id."),
    ],
)
def test_errors_inside_the_query_come_back_in_errors(http: httpx.Client, query: str, message: str) -> None:
    _, errors = errors_of(http, query)
    assert any(message in e for e in errors), errors


def test_a_variable_of_the_wrong_form_is_named_in_the_error(http: httpx.Client) -> None:
    query = "query V($input: MlflowSearchModelVersionsInput) { mlflowSearchModelVersions(input: $input) { nextPageToken } }"
    data, errors = errors_of(http, query, variables={"input": {"maxResults": "many"}})
    assert data is None and "$input" in errors[0] and "LongString cannot represent 'many'" in errors[0]


def test_a_path_leaving_the_run_is_refused(http: httpx.Client, new_run: Any) -> None:
    run_id = new_run()["run_id"]
    data, errors = errors_of(http, '{ mlflowListArtifacts(input: {runId: "%s", path: "../../x"}) { files { path } } }' % run_id)
    assert data == {"mlflowListArtifacts": None} and "'..'" in errors[0]


def test_too_deep_a_query_is_refused_before_it_runs(http: httpx.Client) -> None:
    inner = "name"
    for _ in range(12):
        inner = f"name {{ {inner} }}"
    query = '{ mlflowGetExperiment(input: {experimentId: "0"}) { experiment { %s } } }' % inner
    assert errors_of(http, query) == (None, ["Query exceeds maximum depth of 10."])


def test_too_many_selections_are_refused(http: httpx.Client) -> None:
    selections = " ".join(f"f{i}: name" for i in range(1002))
    query = '{ mlflowGetExperiment(input: {experimentId: "0"}) { experiment { %s } } }' % selections
    assert errors_of(http, query) == (None, ["Query exceeds maximum total selections of 1000."])


def test_too_many_root_fields_are_refused(http: httpx.Client) -> None:
    query = "query testQuery {" + " ".join(f'key_{i}: test(inputString: "abc") {{ output }}' for i in range(12)) + "}"
    data, errors = errors_of(http, query, operationName="testQuery")
    assert data is None and errors[0].startswith("GraphQL queries should have at most 10 root fields, got 12")


def test_aliases_spread_over_fragments_count_together(http: httpx.Client) -> None:
    query = """
        fragment A on MlflowExperiment { a1: name a2: name a3: name a4: name a5: name a6: name }
        fragment B on MlflowExperiment { b1: name b2: name b3: name b4: name b5: name b6: name }
        { mlflowGetExperiment(input: {experimentId: "0"}) { experiment { ...A ...B } } }"""
    data, errors = errors_of(http, query)
    assert data is None and errors[0].startswith("GraphQL queries should have at most 10 aliases, got 12 aliases")


def test_a_fragment_spreading_itself_stops_at_the_depth_limit(http: httpx.Client) -> None:
    query = """
        fragment Loop on MlflowExperiment { tags { key } ...Loop }
        { mlflowGetExperiment(input: {experimentId: "0"}) { experiment { ...Loop } } }"""
    data, errors = errors_of(http, query)
    assert data is None and errors == ["Cannot spread fragment 'Loop' within itself."]


def test_a_huge_query_is_refused_by_the_parser(http: httpx.Client) -> None:
    query = "{ " + "test " * 30_000 + "}"
    data, errors = errors_of(http, query)
    assert data is None and "tokens" in errors[0]


@pytest.mark.parametrize(
    "body",
    [{}, {"query": ""}, {"query": 7}, {"query": "{ test { output } }", "variables": [1]},
     {"query": "{ test { output } }", "operationName": 3}],
)
def test_a_malformed_request_is_400(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/graphql", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_body_that_is_not_json_is_400(http: httpx.Client) -> None:
    response = http.post("/graphql", content=b"query { test { output } }", headers={"content-type": "text/plain"})
    assert response.status_code == 400 and response.json()["error_code"] == "BAD_REQUEST"


def test_other_methods_are_405(http: httpx.Client) -> None:
    assert http.put("/graphql", json={"query": "{ test { output } }"}).status_code == 405
