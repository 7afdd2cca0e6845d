"""The serving app in-process: signature enforcement, error shape, version stamping."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

import cairn
from cairn.serving.app import VERSION_HEADER, create_app
from cairn.serving.deployment import Deployment, load_deployment, model_ref


class AppClient:
    """Synchronous calls into the ASGI app through httpx's ASGI transport (no network)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return asyncio.run(self._call("POST", path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return asyncio.run(self._call("GET", path, **kwargs))

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serving") as client:
            return await client.request(method, path, **kwargs)


def _deploy(folder: Path, ref: str, extra_columns: Any = "reject") -> Deployment:
    client = cairn.Client()
    try:
        return load_deployment(client, "churn", ref, extra_columns, dst_path=folder)
    finally:
        client.close()


@pytest.fixture
def http(churn_store: str, tmp_path: Path) -> AppClient:
    return AppClient(create_app(_deploy(tmp_path / "served", model_ref("churn"))))


@pytest.fixture
def dropping(churn_store: str, tmp_path: Path) -> AppClient:
    return AppClient(create_app(_deploy(tmp_path / "served", "churn/1", "drop")))


def _split(columns: list[str], data: list[list[object]]) -> dict[str, object]:
    return {"dataframe_split": {"columns": columns, "data": data}}


def test_prediction_carries_version_and_one_id_per_row(http: AppClient) -> None:
    response = http.post("/invocations", json=_split(["age", "visits"], [[30.0, 2], [50.0, 8]]))
    assert response.status_code == 200
    body = response.json()
    assert response.headers[VERSION_HEADER] == "1" and body["model_version"] == "1"
    assert len(body["predictions"]) == 2 and len(set(body["prediction_ids"])) == 2


def test_missing_column_gives_400_naming_it(http: AppClient) -> None:
    response = http.post("/invocations", json=_split(["age"], [[30.0]]))
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "missing column 'visits' (expected long)" in response.json()["message"]
    assert response.headers[VERSION_HEADER] == "1"


def test_extra_column_gives_400_naming_it(http: AppClient) -> None:
    response = http.post("/invocations", json={"dataframe_records": [{"age": 30.0, "visits": 2, "zip": "02139"}]})
    assert response.status_code == 400
    assert "extra column 'zip'" in response.json()["message"]


def test_extra_column_is_dropped_when_the_deployment_says_so(dropping: AppClient) -> None:
    response = dropping.post("/invocations", json={"dataframe_records": [{"age": 30.0, "visits": 2, "zip": "x"}]})
    assert response.status_code == 200


def test_wrong_dtype_gives_400_naming_the_column_and_expected_type(http: AppClient) -> None:
    response = http.post("/invocations", json=_split(["age", "visits"], [["old", 2.5]]))
    message = response.json()["message"]
    assert response.status_code == 400
    assert "column 'age' has str values, expected double" in message
    assert "column 'visits' has dtype float64, expected long" in message


def test_integers_are_accepted_for_a_double_column(http: AppClient) -> None:
    response = http.post("/invocations", json=_split(["age", "visits"], [[30, 2]]))
    assert response.status_code == 200


def test_malformed_body_gives_400_bad_request(http: AppClient) -> None:
    response = http.post("/invocations", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error_code"] == "BAD_REQUEST"
    response = http.post("/invocations", json={"rows": []})
    assert response.status_code == 400 and "dataframe_split" in response.json()["message"]


def test_oversized_body_gives_413(churn_store: str, tmp_path: Path) -> None:
    client = AppClient(create_app(_deploy(tmp_path / "served", "churn/1"), max_body_bytes=64))
    response = client.post("/invocations", json=_split(["age", "visits"], [[30.0, 2]] * 20))
    assert response.status_code == 413 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "limited to 64 bytes" in response.json()["message"]
    assert response.headers[VERSION_HEADER] == "1"


def test_unknown_paths_and_methods_get_the_servers_json_errors(http: AppClient) -> None:
    missing = http.get("/predict")
    assert missing.status_code == 404 and missing.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "/invocations" in missing.json()["message"] and missing.headers[VERSION_HEADER] == "1"
    wrong_method = http.get("/invocations")
    assert wrong_method.status_code == 405 and wrong_method.json()["error_code"] == "BAD_REQUEST"


def test_positional_rows_keep_each_columns_dtype(http: AppClient) -> None:
    response = http.post("/invocations", json={"inputs": [[30.5, 2], [50.0, 8]]})
    assert response.status_code == 200 and len(response.json()["prediction_ids"]) == 2


def test_ragged_rows_give_400(http: AppClient) -> None:
    response = http.post("/invocations", json={"instances": [[30.5, 2], [50.0]]})
    assert response.status_code == 400 and "same number of values" in response.json()["message"]


def test_prediction_ids_come_from_the_injected_generator(churn_store: str, tmp_path: Path) -> None:
    ids = iter(["p-1", "p-2"])
    client = AppClient(create_app(_deploy(tmp_path / "served", "churn/1"), new_id=lambda: next(ids)))
    response = client.post("/invocations", json=_split(["age", "visits"], [[30.0, 2], [50.0, 8]]))
    assert response.json()["prediction_ids"] == ["p-1", "p-2"]


def test_version_names_cairn_and_the_served_version(http: AppClient) -> None:
    assert http.get("/version").json() == {"cairn_version": cairn.__version__, "model_name": "churn",
                                           "model_version": "1"}
