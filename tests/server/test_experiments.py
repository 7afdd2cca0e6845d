"""/api/2.0/mlflow/experiments/*: behaviour and error cases against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.slow

API = "/api/2.0/mlflow"


def unique(prefix: str = "exp") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def test_create_then_get_returns_the_experiment_with_tags(http: httpx.Client) -> None:
    name = unique()
    created = http.post(f"{API}/experiments/create", json={"name": name, "tags": [{"key": "team", "value": "vision"}]})
    assert created.status_code == 200
    experiment_id = created.json()["experiment_id"]
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert got["name"] == name
    assert got["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
    assert got["lifecycle_stage"] == "active"
    assert got["tags"] == [{"key": "team", "value": "vision"}]
    assert isinstance(got["creation_time"], int)


def test_ajax_api_twin_answers_like_the_api(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    api = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    ajax = http.get("/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": experiment_id}).json()
    assert api == ajax


def test_create_without_name_is_refused(http: httpx.Client) -> None:
    message = error_of(http.post(f"{API}/experiments/create", json={}), 400, "INVALID_PARAMETER_VALUE")
    assert "'name'" in message


def test_create_with_a_number_as_name_is_refused(http: httpx.Client) -> None:
    message = error_of(http.post(f"{API}/experiments/create", json={"name": 12}), 400, "INVALID_PARAMETER_VALUE")
    assert "'name'" in message


def test_duplicate_name_is_resource_already_exists_and_400(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    name = unique()
    new_experiment(name=name)
    error_of(http.post(f"{API}/experiments/create", json={"name": name}), 400, "RESOURCE_ALREADY_EXISTS")


def test_artifact_location_outside_the_store_is_refused(http: httpx.Client) -> None:
    name = unique()
    response = http.post(f"{API}/experiments/create", json={"name": name, "artifact_location": "/etc"})
    error_of(response, 400, "INVALID_PARAMETER_VALUE")
    missing = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": name})
    assert missing.status_code == 404


def test_get_unknown_experiment_is_404(http: httpx.Client) -> None:
    error_of(http.get(f"{API}/experiments/get", params={"experiment_id": "987654"}), 404, "RESOURCE_DOES_NOT_EXIST")


def test_get_with_a_malformed_id_is_400(http: httpx.Client) -> None:
    error_of(http.get(f"{API}/experiments/get", params={"experiment_id": "abc"}), 400, "INVALID_PARAMETER_VALUE")


def test_get_without_id_is_400(http: httpx.Client) -> None:
    error_of(http.get(f"{API}/experiments/get"), 400, "INVALID_PARAMETER_VALUE")


def test_get_by_name_finds_it_and_unknown_name_is_404(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    name = unique()
    experiment_id = new_experiment(name=name)
    found = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": name})
    assert found.json()["experiment"]["experiment_id"] == experiment_id
    error_of(
        http.get(f"{API}/experiments/get-by-name", params={"experiment_name": unique()}),
        404, "RESOURCE_DOES_NOT_EXIST",
    )  # fmt: skip


def test_search_filters_on_name_like_and_tags(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    prefix = unique("search")
    a = new_experiment(name=f"{prefix}-a", tags=[{"key": "team", "value": "vision"}])
    b = new_experiment(name=f"{prefix}-b", tags=[{"key": "team", "value": "nlp"}])
    new_experiment(name=f"{prefix.upper()}-c")

    def ids(filter_string: str, **extra: object) -> list[str]:
        body = {"filter": filter_string, "max_results": 100, **extra}
        response = http.post(f"{API}/experiments/search", json=body)
        assert response.status_code == 200, response.text
        return [e["experiment_id"] for e in response.json().get("experiments", [])]

    assert ids(f"name = '{prefix}-a'") == [a]
    assert sorted(ids(f"name LIKE '{prefix}-%'")) == sorted([a, b])
    assert len(ids(f"name ILIKE '{prefix}-%'")) == 3
    assert ids(f"name LIKE '{prefix}-%' AND tags.team = 'nlp'") == [b]
    assert ids(f"name LIKE '{prefix}%'", order_by=["name DESC"]) == [b, a]
    assert ids(f"experiment_id = '{a}'") == [a]
    assert ids(f"name LIKE '{prefix}%' AND experiment_id != '{a}'") == [b]


def test_search_by_get_with_query_parameters(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    name = unique()
    experiment_id = new_experiment(name=name)
    response = http.get(f"{API}/experiments/search", params={"filter": f"name = '{name}'", "max_results": "5"})
    assert [e["experiment_id"] for e in response.json()["experiments"]] == [experiment_id]


def test_search_pages_with_tokens(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    prefix = unique("paged")
    created = {new_experiment(name=f"{prefix}-{i}") for i in range(5)}
    seen: list[str] = []
    token = None
    while True:
        body = {"filter": f"name LIKE '{prefix}-%'", "max_results": 2, "order_by": ["name"]}
        if token:
            body["page_token"] = token
        page = http.post(f"{API}/experiments/search", json=body).json()
        seen.extend(e["experiment_id"] for e in page.get("experiments", []))
        token = page.get("next_page_token")
        if not token:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 5


@pytest.mark.parametrize(
    "body",
    [
        {"filter": "name = "},
        {"filter": "params.x = 'a'"},
        {"filter": "name > 'a'"},
        {"filter": "experiment_id = 'abc'"},
        {"order_by": ["tags.team"]},
        {"max_results": 0},
        {"max_results": 50001},
        {"max_results": "ten"},
        {"page_token": "not-a-token"},
        {"view_type": "SOMETIMES"},
    ],
)
def test_search_refuses_bad_arguments(http: httpx.Client, body: dict[str, object]) -> None:
    error_of(http.post(f"{API}/experiments/search", json=body), 400, "INVALID_PARAMETER_VALUE")


def test_update_renames(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    new_name = unique("renamed")
    assert http.post(f"{API}/experiments/update", json={"experiment_id": experiment_id, "new_name": new_name}).json() == {}
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert got["name"] == new_name


def test_update_unknown_experiment_is_404(http: httpx.Client) -> None:
    response = http.post(f"{API}/experiments/update", json={"experiment_id": "876543", "new_name": unique()})
    error_of(response, 404, "RESOURCE_DOES_NOT_EXIST")


def test_update_without_new_name_is_400(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    error_of(http.post(f"{API}/experiments/update", json={"experiment_id": new_experiment()}), 400, "INVALID_PARAMETER_VALUE")


def test_delete_then_restore(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    assert http.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id}).status_code == 200
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert got["lifecycle_stage"] == "deleted"
    deleted = http.post(f"{API}/experiments/search", json={"view_type": "DELETED_ONLY", "max_results": 1000}).json()
    assert experiment_id in [e["experiment_id"] for e in deleted["experiments"]]
    assert http.post(f"{API}/experiments/restore", json={"experiment_id": experiment_id}).status_code == 200
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert got["lifecycle_stage"] == "active"


def test_delete_unknown_and_default_experiment_are_refused(http: httpx.Client) -> None:
    error_of(http.post(f"{API}/experiments/delete", json={"experiment_id": "765432"}), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(http.post(f"{API}/experiments/delete", json={"experiment_id": "0"}), 400, "INVALID_PARAMETER_VALUE")


def test_restore_an_active_experiment_is_refused(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    error_of(http.post(f"{API}/experiments/restore", json={"experiment_id": new_experiment()}), 400, "INVALID_PARAMETER_VALUE")


def test_set_and_delete_experiment_tag(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    body = {"experiment_id": experiment_id, "key": "owner", "value": "ana"}
    assert http.post(f"{API}/experiments/set-experiment-tag", json=body).status_code == 200
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert {"key": "owner", "value": "ana"} in got["tags"]
    deleted = http.post(f"{API}/experiments/delete-experiment-tag", json={"experiment_id": experiment_id, "key": "owner"})
    assert deleted.status_code == 200
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert "tags" not in got


def test_set_experiment_tag_errors(http: httpx.Client, new_experiment: Callable[..., str]) -> None:
    experiment_id = new_experiment()
    url = f"{API}/experiments/set-experiment-tag"
    error_of(http.post(url, json={"experiment_id": experiment_id}), 400, "INVALID_PARAMETER_VALUE")
    error_of(http.post(url, json={"experiment_id": experiment_id, "key": "k", "value": 5}), 400, "INVALID_PARAMETER_VALUE")
    message = error_of(
        http.post(url, json={"experiment_id": experiment_id, "key": "k", "value": "x" * 20001}),
        400, "INVALID_PARAMETER_VALUE",
    )  # fmt: skip
    assert "20000" in message
    error_of(http.post(url, json={"experiment_id": "654321", "key": "k", "value": "v"}), 404, "RESOURCE_DOES_NOT_EXIST")
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()["experiment"]
    assert "tags" not in got
