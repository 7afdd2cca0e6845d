"""/mlflow/logged-models/<id>/artifacts/files: one file of a logged model, downloaded as the web
UI does it, served as an attachment that a browser will not render."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
FILES = "/ajax-api/2.0/mlflow/logged-models/{}/artifacts/files"


@pytest.fixture
def model_id(server: Any, tmp_path: Path) -> str:
    """A logged model with three files, made and uploaded by the mlflow client."""
    client = MlflowClient(server.url)
    experiment_id = client.create_experiment(f"model-files-{uuid.uuid4().hex[:10]}")
    model = client.create_logged_model(experiment_id, name="model")
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "page.html").write_text("<script>alert(1)</script>")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("x\n1\n")
    client.log_model_artifacts(model.model_id, str(tmp_path))
    return str(model.model_id)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_file_of_a_logged_model_downloads_as_an_attachment(http: httpx.Client, model_id: str, prefix: str) -> None:
    response = http.get(f"{prefix}/logged-models/{model_id}/artifacts/files", params={"artifact_file_path": "MLmodel"})
    assert response.status_code == 200, response.text
    assert response.content == b"flavors: {}\n"
    assert response.headers["content-disposition"].startswith("attachment")


def test_an_html_file_is_never_rendered_by_a_browser(http: httpx.Client, model_id: str) -> None:
    response = http.get(FILES.format(model_id), params={"artifact_file_path": "page.html"})
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == "attachment; filename*=utf-8''page.html"


def test_missing_path_is_bad_request(http: httpx.Client, model_id: str) -> None:
    response = http.get(FILES.format(model_id))
    assert response.status_code == 400
    assert response.json()["error_code"] == "BAD_REQUEST"
    assert 'Request must include the "artifact_file_path" query parameter.' in response.json()["message"]


@pytest.mark.parametrize("path", ["../../../other/artifacts/MLmodel", "/etc/passwd", "a/%2e%2e/MLmodel", "a\\b"])
def test_paths_leaving_the_model_are_refused(http: httpx.Client, model_id: str, path: str) -> None:
    response = http.get(FILES.format(model_id), params={"artifact_file_path": path})
    assert response.status_code == 400 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(("model", "path"), [("m-" + "0" * 32, "MLmodel"), ("MODEL", "nothing.txt"), ("MODEL", "data")])
def test_unknown_model_unknown_file_or_a_directory_is_404(
    http: httpx.Client, model_id: str, model: str, path: str
) -> None:
    response = http.get(FILES.format(model_id if model == "MODEL" else model), params={"artifact_file_path": path})
    assert response.status_code == 404, response.text
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
