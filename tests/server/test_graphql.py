"""/graphql answers the queries MLflow's web UI sends (copied from its bundle) with MLflow's field
names and value forms: longs as strings, protobuf defaults for what a message leaves out."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

GET_RUN = """
  query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
    mlflowGetRun(input: $data) {
      apiError { helpUrl code message }
      run {
        info { runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId }
        experiment { experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime }
        modelVersions { status version name source }
        data { metrics { key value step timestamp } params { key value } tags { key value } }
        inputs {
          datasetInputs { dataset { digest name profile schema source sourceType } tags { key value } }
          modelInputs { modelId }
        }
        outputs { modelOutputs { modelId step } }
      }
    }
  }
"""

SEARCH_RUNS = """
  query SearchRuns($data: MlflowSearchRunsInput!) {
    mlflowSearchRuns(input: $data) {
      apiError { helpUrl code message }
      runs {
        info { runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId }
        experiment { experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime }
        data { metrics { key value step timestamp } params { key value } tags { key value } }
        modelVersions { version name creationTimestamp status source }
      }
    }
  }
"""

GET_METRIC_HISTORY_BULK_INTERVAL = """
  query GetMetricHistoryBulkInterval($data: MlflowGetMetricHistoryBulkIntervalInput!)
  @component(name: "MLflow.ExperimentRunTracking") {
    mlflowGetMetricHistoryBulkInterval(input: $data) {
      __typename
      metrics { timestamp step runId key value }
      apiError { code message }
    }
  }
"""

GET_EXPERIMENT = """
  query MlflowGetExperimentQuery($input: MlflowGetExperimentInput!) @component(name: "MLflow.ExperimentRunTracking") {
    mlflowGetExperiment(input: $input) {
      apiError { code message }
      experiment {
        artifactLocation creationTime effectiveTraceArchivalRetention experimentId lastUpdateTime lifecycleStage name
        tags { key value }
      }
    }
  }
"""


@pytest.fixture
def client(server: Any) -> MlflowClient:
    return MlflowClient(server.url)


def new_experiment(client: MlflowClient) -> str:
    return str(client.create_experiment(f"graphql-{uuid.uuid4().hex[:10]}", tags={"team": "vision"}))


def answer(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    response = http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_get_run_answers_the_run_page_query(http: httpx.Client, client: MlflowClient) -> None:
    experiment_id = new_experiment(client)
    run = client.create_run(experiment_id, run_name="baseline")
    run_id = run.info.run_id
    client.log_batch(run_id, metrics=[Metric("loss", 0.25, 1700000000000, 3)], params=[Param("lr", "0.1")],
                     tags=[RunTag("team", "vision")])
    dataset = Dataset(name="train", digest="d1", source_type="local", source="/data/train.csv")
    client.log_inputs(run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])])
    name = f"model-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)

    body = answer(http, GET_RUN, data={"runId": run_id})
    assert body["errors"] is None
    got = body["data"]["mlflowGetRun"]
    assert got["apiError"] is None
    info = got["run"]["info"]
    assert info["runUuid"] == run_id and info["runName"] == "baseline" and info["status"] == "RUNNING"
    assert info["startTime"] == str(run.info.start_time) and info["endTime"] == "0"
    assert got["run"]["experiment"]["name"].startswith("graphql-")
    assert got["run"]["experiment"]["tags"] == [{"key": "team", "value": "vision"}]
    assert got["run"]["modelVersions"] == [
        {"status": "READY", "version": "1", "name": name, "source": f"runs:/{run_id}/model"}  # as the client gave it
    ]
    data = got["run"]["data"]
    assert data["metrics"] == [{"key": "loss", "value": 0.25, "step": "3", "timestamp": "1700000000000"}]
    assert data["params"] == [{"key": "lr", "value": "0.1"}]
    assert {"key": "team", "value": "vision"} in data["tags"]
    assert got["run"]["inputs"] == {
        "datasetInputs": [{
            "dataset": {"digest": "d1", "name": "train", "profile": "", "schema": "", "source": "/data/train.csv",
                        "sourceType": "local"},
            "tags": [{"key": "mlflow.data.context", "value": "training"}],
        }],
        "modelInputs": [],
    }  # fmt: skip
    assert got["run"]["outputs"] == {"modelOutputs": []}


def test_metric_values_graphql_cannot_carry_come_back_as_mlflow_gives_them(
    http: httpx.Client, client: MlflowClient
) -> None:
    run_id = client.create_run(new_experiment(client)).info.run_id
    client.log_batch(run_id, metrics=[Metric("nan", float("nan"), 1, 0), Metric("inf", float("inf"), 1, 0),
                                      Metric("ninf", float("-inf"), 1, 0)])
    metrics = answer(http, GET_RUN, data={"runId": run_id})["data"]["mlflowGetRun"]["run"]["data"]["metrics"]
    assert {m["key"]: m["value"] for m in metrics} == {
        "nan": None, "inf": 1.7976931348623157e308, "ninf": -1.7976931348623157e308,
    }


def test_search_runs_answers_with_experiment_and_model_versions_of_every_run(
    http: httpx.Client, client: MlflowClient
) -> None:
    experiment_id = new_experiment(client)
    first = client.create_run(experiment_id, start_time=1000).info.run_id
    second = client.create_run(experiment_id, start_time=2000).info.run_id
    name = f"model-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{first}/model", run_id=first)
    body = answer(http, SEARCH_RUNS, data={"experimentIds": [experiment_id], "filter": ""})
    assert body["errors"] is None
    runs = body["data"]["mlflowSearchRuns"]["runs"]
    assert [r["info"]["runUuid"] for r in runs] == [second, first]
    assert {r["experiment"]["experimentId"] for r in runs} == {experiment_id}
    assert [[v["name"] for v in r["modelVersions"]] for r in runs] == [[], [name]]
    mutation = answer(http, "mutation { mlflowSearchRuns(input: {experimentIds: [\"%s\"], maxResults: 1}) "
                            "{ runs { info { runId } } nextPageToken } }" % experiment_id)
    assert mutation["data"]["mlflowSearchRuns"]["runs"] == [{"info": {"runId": second}}]
    assert mutation["data"]["mlflowSearchRuns"]["nextPageToken"]


def test_metric_history_bulk_interval_answers_the_chart_query(http: httpx.Client, client: MlflowClient) -> None:
    experiment_id = new_experiment(client)
    run_id = client.create_run(experiment_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("m", float(i), 100 + i, i) for i in range(10)])
    body = answer(http, GET_METRIC_HISTORY_BULK_INTERVAL,
                  data={"runIds": [run_id], "metricKey": "m", "maxResults": 5, "startStep": 0, "endStep": 9})
    got = body["data"]["mlflowGetMetricHistoryBulkInterval"]
    assert got["__typename"] == "MlflowGetMetricHistoryBulkIntervalResponse" and got["apiError"] is None
    assert [m["step"] for m in got["metrics"]] == ["0", "2", "4", "6", "9"]
    assert got["metrics"][1] == {"timestamp": "102", "step": "2", "runId": run_id, "key": "m", "value": 2.0}
    whole = answer(http, GET_METRIC_HISTORY_BULK_INTERVAL, data={"runIds": [run_id], "metricKey": "m"})
    assert [m["value"] for m in whole["data"]["mlflowGetMetricHistoryBulkInterval"]["metrics"]] == [
        float(i) for i in range(10)
    ]


def test_get_experiment_answers_the_experiment_page_query(http: httpx.Client, client: MlflowClient) -> None:
    experiment_id = new_experiment(client)
    got = answer(http, GET_EXPERIMENT, input={"experimentId": experiment_id})["data"]["mlflowGetExperiment"]
    experiment = got["experiment"]
    assert experiment["experimentId"] == experiment_id and experiment["lifecycleStage"] == "active"
    assert experiment["artifactLocation"] == f"mlflow-artifacts:/{experiment_id}"
    assert experiment["creationTime"].isdigit() and experiment["effectiveTraceArchivalRetention"] == ""
    assert experiment["tags"] == [{"key": "team", "value": "vision"}]


def test_list_artifacts_with_fragments_and_aliases(http: httpx.Client, client: MlflowClient, tmp_path: Path) -> None:
    run_id = client.create_run(new_experiment(client)).info.run_id
    (tmp_path / "test.txt").write_text("hello world")
    client.log_artifact(run_id, str(tmp_path / "test.txt"))
    client.log_artifact(run_id, str(tmp_path / "test.txt"), "testDir")
    query = """
        fragment FilesFragment on MlflowListArtifactsResponse { files { path isDir fileSize } }
        query testQuery {
          file: mlflowListArtifacts(input: { runId: "%s" }) { ...FilesFragment }
          subdir: mlflowListArtifacts(input: { runId: "%s", path: "testDir" }) { ...FilesFragment }
        }""" % (run_id, run_id)
    body = answer(http, query)
    assert body["data"]["file"]["files"] == [
        {"path": "test.txt", "isDir": False, "fileSize": "11"},
        {"path": "testDir", "isDir": True, "fileSize": "0"},
    ]
    assert body["data"]["subdir"]["files"] == [{"path": "testDir/test.txt", "isDir": False, "fileSize": "11"}]


def test_search_datasets_gives_an_empty_context_where_none_was_tagged(http: httpx.Client, client: MlflowClient) -> None:
    experiment_id = new_experiment(client)
    run_id = client.create_run(experiment_id).info.run_id
    client.log_inputs(run_id, [
        DatasetInput(Dataset(name="a", digest="1", source_type="s", source="x")),
        DatasetInput(Dataset(name="b", digest="2", source_type="s", source="x"), [InputTag("mlflow.data.context", "eval")]),
    ])  # fmt: skip
    query = "mutation { mlflowSearchDatasets(input: {experimentIds: [\"%s\"]}) " \
            "{ datasetSummaries { experimentId name digest context } } }" % experiment_id
    assert answer(http, query)["data"]["mlflowSearchDatasets"]["datasetSummaries"] == [
        {"experimentId": experiment_id, "name": "a", "digest": "1", "context": ""},
        {"experimentId": experiment_id, "name": "b", "digest": "2", "context": "eval"},
    ]


def test_search_model_versions_takes_max_results_as_a_long_string(http: httpx.Client, client: MlflowClient) -> None:
    run_id = client.create_run(new_experiment(client)).info.run_id
    name = f"model-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    for _ in range(2):
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    query = "query Versions($input: MlflowSearchModelVersionsInput) { mlflowSearchModelVersions(input: $input) " \
            "{ modelVersions { name version runId creationTimestamp } nextPageToken } }"
    got = answer(http, query, input={"filter": f"name='{name}'", "maxResults": "1"})["data"]["mlflowSearchModelVersions"]
    # newest first, as MLflow orders versions
    assert [(v["name"], v["version"], v["runId"]) for v in got["modelVersions"]] == [(name, "2", run_id)]
    assert got["modelVersions"][0]["creationTimestamp"].isdigit() and got["nextPageToken"]


def test_get_query_parameters_work_like_a_post(http: httpx.Client, client: MlflowClient) -> None:
    experiment_id = new_experiment(client)
    response = http.get("/graphql", params={
        "query": "query Q($input: MlflowGetExperimentInput!) { mlflowGetExperiment(input: $input) { experiment { experimentId } } }",
        "variables": '{"input": {"experimentId": "%s"}}' % experiment_id, "operationName": "Q",
    })  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"mlflowGetExperiment": {"experiment": {"experimentId": experiment_id}}},
                               "errors": None}


def test_mlflows_echo_field_answers(http: httpx.Client) -> None:
    response = http.post("/graphql", json={"query": 'query testQuery {test(inputString: "abc") { output }}',
                                           "operationName": "testQuery"})
    assert response.json() == {"data": {"test": {"output": "abc"}}, "errors": None}
