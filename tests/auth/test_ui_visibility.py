"""What a signed-in user sees in the web UI on a server with --auth: the experiments and models
lists hold only what they may read; a page of an experiment, run or model they may not read is
refused with 403 (as the REST API refuses it), one that does not exist is 404; a run page does not
name models they may not read; the model forms need the grants of their REST twins and record the
signed-in user; admins see everything."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from .conftest import API, Account

CAIRN = "/api/cairn/v1"
HTML = {"Accept": "text/html"}


@dataclass
class Owned:
    experiment_id: str
    run_id: str
    model: str


def owned_by_admin(admin_http: httpx.Client, tag: str) -> Owned:
    """An experiment with a run, and a model with a version made from that run."""
    name = f"{tag}-{uuid.uuid4().hex[:8]}"
    experiment_id = admin_http.post(f"{API}/experiments/create", json={"name": name}).json()["experiment_id"]
    run = admin_http.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()["run"]["info"]
    logged = admin_http.post(f"{API}/runs/log-metric", json={"run_id": run["run_id"], "key": "loss", "value": 0.5,
                                                             "timestamp": 1, "step": 0})
    assert logged.status_code == 200, logged.text
    assert admin_http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200
    created = admin_http.post(f"{API}/model-versions/create", json={
        "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]})
    assert created.status_code == 200, created.text
    return Owned(experiment_id, run["run_id"], name)


@pytest.fixture(scope="module")
def shared(admin_http: httpx.Client) -> Owned:
    return owned_by_admin(admin_http, "shared")


@pytest.fixture(scope="module")
def hidden(admin_http: httpx.Client) -> Owned:
    return owned_by_admin(admin_http, "hidden")


@pytest.fixture
def session_of(auth_server: Any) -> Iterator[Callable[[Account], httpx.Client]]:
    opened: list[httpx.Client] = []

    def sign_in(account: Account) -> httpx.Client:
        client = httpx.Client(base_url=auth_server.url, timeout=60, headers=HTML)
        opened.append(client)
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        done = client.post("/login", data={"csrf_token": token, "username": account.username,
                                           "password": account.password})
        assert done.status_code == 303, done.text
        return client

    yield sign_in
    for client in opened:
        client.close()


@pytest.fixture
def reader(new_account: Any, grant: Any, session_of: Callable[[Account], httpx.Client], shared: Owned) -> httpx.Client:
    """A user with READ on the shared experiment and model, and no grant on the hidden ones."""
    account = new_account("reader")
    grant("experiments", shared.experiment_id, account.username, "READ")
    grant("registered-models", shared.model, account.username, "READ")
    return session_of(account)


def twin(client: httpx.Client, path: str) -> Any:
    answer = client.get(path, params={"format": "json"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_lists_hold_only_what_the_user_may_read(reader: httpx.Client, shared: Owned, hidden: Owned) -> None:
    experiments = [row["experiment"]["experiment_id"] for row in twin(reader, "/")["experiments"]]
    assert experiments == [shared.experiment_id]
    assert [row["model"]["name"] for row in twin(reader, "/models")["models"]] == [shared.model]
    page = reader.get("/")
    assert f"/experiments/{shared.experiment_id}\"" in page.text
    assert f"/experiments/{hidden.experiment_id}\"" not in page.text
    assert hidden.model not in reader.get("/models").text


def test_pages_of_readable_resources_open(reader: httpx.Client, shared: Owned) -> None:
    for path in (f"/experiments/{shared.experiment_id}", f"/runs/{shared.run_id}", f"/models/{shared.model}",
                 f"/runs/{shared.run_id}/artifacts", f"/runs/{shared.run_id}/metric-series?key=loss"):
        assert reader.get(path).status_code == 200, path


def test_pages_of_resources_the_user_may_not_read_are_403_like_the_api(reader: httpx.Client, hidden: Owned) -> None:
    for path in (f"/experiments/{hidden.experiment_id}", f"/runs/{hidden.run_id}", f"/models/{hidden.model}",
                 f"/runs/{hidden.run_id}/preview?path=x.txt", f"/runs/{hidden.run_id}/download?path=x.txt",
                 f"/runs/{hidden.run_id}/metric-series?key=loss", f"/runs/{hidden.run_id}/image?path=x.png"):
        refused = reader.get(path)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html"), path
        assert "may not read" in refused.text and "Signed in as" in refused.text, path
        as_json = reader.get(path, params={"format": "json"})
        assert (as_json.status_code, as_json.json()["error_code"]) == (403, "PERMISSION_DENIED"), path


def test_pages_of_resources_that_do_not_exist_are_404(reader: httpx.Client) -> None:
    for path in ("/experiments/987654321", "/runs/" + "0" * 32, f"/models/missing-{uuid.uuid4().hex[:6]}"):
        missing = reader.get(path)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"].startswith("text/html"), path


def test_a_run_page_does_not_name_models_the_user_may_not_read(
        admin_http: httpx.Client, reader: httpx.Client, shared: Owned, hidden: Owned) -> None:
    # A version of the hidden model made from the shared run.
    run = admin_http.get(f"{API}/runs/get", params={"run_id": shared.run_id}).json()["run"]["info"]
    created = admin_http.post(f"{API}/model-versions/create", json={
        "name": hidden.model, "source": run["artifact_uri"] + "/model", "run_id": shared.run_id})
    assert created.status_code == 200, created.text
    assert [v["name"] for v in twin(reader, f"/runs/{shared.run_id}")["versions"]] == [shared.model]
    assert hidden.model not in reader.get(f"/runs/{shared.run_id}").text
    assert {v["name"] for v in twin(admin_http, f"/runs/{shared.run_id}")["versions"]} == {shared.model, hidden.model}


def test_an_admin_sees_every_experiment_and_model(admin_http: httpx.Client, shared: Owned, hidden: Owned) -> None:
    experiments = {row["experiment"]["experiment_id"] for row in twin(admin_http, "/")["experiments"]}
    assert {shared.experiment_id, hidden.experiment_id} <= experiments
    assert {shared.model, hidden.model} <= {row["model"]["name"] for row in twin(admin_http, "/models")["models"]}


def csrf_of(client: httpx.Client, model: str) -> str:
    page = client.get(f"/models/{model}")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_model_forms_need_their_rest_twins_grants(reader: httpx.Client, shared: Owned) -> None:
    token = csrf_of(reader, shared.model)
    for action in ("promote", "rollback", "approve", "reject"):
        refused = reader.post(f"/models/{shared.model}/{action}", data={
            "csrf_token": token, "version": "1", "stage": "Staging", "reason": "r", "confirmed": "yes"})
        assert refused.status_code == 403, (action, refused.text)
        assert "Not allowed" in refused.text


def test_a_promotion_from_a_session_is_recorded_under_the_signed_in_user(
        new_account: Any, grant: Any, session_of: Callable[[Account], httpx.Client], admin_http: httpx.Client,
        shared: Owned) -> None:
    account = new_account("editor")
    grant("registered-models", shared.model, account.username, "EDIT")
    editor = session_of(account)
    done = editor.post(f"/models/{shared.model}/promote", headers={"X-Cairn-User": "mallory"}, data={
        "csrf_token": csrf_of(editor, shared.model), "version": "1", "stage": "Staging", "reason": "from a session",
        "confirmed": "yes"})
    assert done.status_code == 303, done.text
    events = admin_http.get(f"{CAIRN}/models/audit", params={"name": shared.model, "newest_first": "true"}).json()
    latest = events["events"][0]
    assert (latest["actor"], latest["actor_verified"], latest["reason"]) == (account.username, True, "from a session")


def second_run(admin_http: httpx.Client, owned: Owned) -> str:
    created = admin_http.post(f"{API}/runs/create", json={"experiment_id": owned.experiment_id})
    assert created.status_code == 200, created.text
    return str(created.json()["run"]["info"]["run_id"])


def test_compare_needs_read_on_every_run_it_names(
        admin_http: httpx.Client, reader: httpx.Client, shared: Owned, hidden: Owned) -> None:
    readable = [shared.run_id, second_run(admin_http, shared)]
    opened = reader.get("/compare", params={"run": readable, "format": "json"})
    assert opened.status_code == 200, opened.text
    assert [r["run_id"] for r in opened.json()["runs"]] == readable
    for mixed in ([shared.run_id, hidden.run_id], [hidden.run_id, second_run(admin_http, hidden)]):
        refused = reader.get("/compare", params={"run": mixed})
        assert refused.status_code == 403, refused.text
        assert "may not read" in refused.text
    assert admin_http.get("/compare", params={"run": [shared.run_id, hidden.run_id]}).status_code == 200


def log_prediction(admin_http: httpx.Client, model: str) -> str:
    prediction_id = uuid.uuid4().hex
    logged = admin_http.post(f"{CAIRN}/predictions/log-batch", json={"predictions": [{
        "prediction_id": prediction_id, "request_id": uuid.uuid4().hex, "row_index": 0, "timestamp": 1,
        "model_name": model, "version": 1, "arm": "primary", "features": {"x": 1}, "output": 0,
        "latency_ms": 1.0}]})
    assert logged.status_code == 200, logged.text
    return prediction_id


def test_deployments_and_predictions_show_only_readable_models(
        admin_http: httpx.Client, reader: httpx.Client, shared: Owned, hidden: Owned) -> None:
    mine, theirs = log_prediction(admin_http, shared.model), log_prediction(admin_http, hidden.model)
    listed = reader.get("/deployments")
    assert listed.status_code == 200
    assert f"deployments/{shared.model}" in listed.text and hidden.model not in listed.text
    assert hidden.model in admin_http.get("/deployments").text
    assert reader.get(f"/predictions/{mine}").status_code == 200
    refused = reader.get(f"/predictions/{theirs}")
    assert refused.status_code == 403 and "may not read" in refused.text
    assert reader.get(f"/predictions/{uuid.uuid4().hex}").status_code == 404


def log_dataset(admin_http: httpx.Client, run_id: str, name: str) -> str:
    digest = uuid.uuid4().hex[:16]
    profile = {"num_rows": 2, "features": {"x": {"type": "numeric", "count": 2, "min": 0.0, "max": 1.0,
                                                 "mean": 0.5, "std": 0.5, "missing": 0}}}
    body = {"run_id": run_id, "datasets": [{
        "dataset": {"name": name, "digest": digest, "source_type": "local", "source": f"{name}.csv",
                    "profile": __import__("json").dumps(profile)},
        "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}
    logged = admin_http.post(f"{API}/runs/log-inputs", json=body)
    assert logged.status_code == 200, logged.text
    return digest


def test_datasets_pages_hold_only_what_readable_experiments_recorded(
        admin_http: httpx.Client, reader: httpx.Client, shared: Owned, hidden: Owned) -> None:
    tag = uuid.uuid4().hex[:6]
    mine = log_dataset(admin_http, shared.run_id, f"open-{tag}")
    theirs = log_dataset(admin_http, hidden.run_id, f"secret-{tag}")
    listed = reader.get("/datasets")
    assert listed.status_code == 200
    assert f"open-{tag}" in listed.text and f"secret-{tag}" not in listed.text
    assert f"secret-{tag}" in admin_http.get("/datasets").text
    assert reader.get(f"/datasets/{mine}").status_code == 200
    assert reader.get(f"/datasets/{theirs}").status_code == 404
    assert reader.get(f"/datasets/secret-{tag}").status_code == 404
    assert admin_http.get(f"/datasets/{theirs}").status_code == 200
    refused = reader.get("/datasets/drift", params={"baseline": f"run:{hidden.run_id}", "current": f"dataset:{mine}"})
    assert refused.status_code == 403 and "may not read" in refused.text
    refused = reader.get("/datasets/drift", params={"baseline": f"models:/{hidden.model}/1", "current": f"dataset:{mine}"})
    assert refused.status_code == 403
    assert reader.get("/datasets/drift", params={"baseline": f"predictions:{hidden.model}",
                                                 "current": f"dataset:{mine}"}).status_code == 403
    drift = reader.get("/datasets/drift", params={"baseline": f"run:{shared.run_id}", "current": f"dataset:{mine}"})
    assert drift.status_code == 200, drift.text
    assert f"secret-{tag}" not in drift.text
