"""An MLflow store read through a running MLflow server's REST API (``--from-server URL``), with
httpx.

Everything is paged the way the mlflow client pages it (deleted experiments and runs included),
metric histories come from ``metrics/get-history`` and files from the server's run- and
model-scoped artifact routes (``artifacts/list`` with ``/get-artifact``, and the logged-model
``artifacts/directories`` and ``artifacts/files``), which serve whatever artifact store the
server uses, proxied or not. Sign-in as the mlflow client's: ``MLFLOW_TRACKING_TOKEN``, else
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``.

The REST API cannot show deleted model versions or deleted logged models; a version number used
only by a deleted version may therefore be given again later in Cairn.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cairn.entities import Dataset, DatasetInput, LifecycleStage, Metric
from cairn.errors import CairnError, InvalidParameter, StoreUnavailable, error_from_wire
from cairn.registry.imports import ImportedModel, ImportedVersion
from cairn.tracking.imports import ImportedExperiment, ImportedRun
from cairn.tracking.logged_model_imports import ImportedLoggedModel
from cairn.tracking.logged_models import PENDING, STATUSES, ModelLink, ModelMetric

from .records import (
    MODEL_FILES,
    FilesRoot,
    SourceExperiment,
    SourceFile,
    SourceLoggedModel,
    SourceRun,
)

API = "/api/2.0/mlflow"
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
PAGE = 1000
HISTORY_PAGE = 25_000  # what the mlflow client asks for
LOGGED_MODELS_PAGE = 100
VERSIONS_PAGE = 10_000
CHUNK = 1 << 20


class MlflowServer:
    """``Source`` over an MLflow server's REST API."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidParameter(f"--from-server '{url[:200]}' is not a server URL; use http(s)://host:port.")
        self.label = url.rstrip("/")
        self._http = httpx.Client(base_url=self.label, timeout=TIMEOUT, auth=_credentials())
        self._call("POST", "/experiments/search", {"max_results": 1})  # reachable, and speaks MLflow's API

    def close(self) -> None:
        self._http.close()

    # experiments and runs ----------------------------------------------------------------
    def experiments(self) -> list[SourceExperiment]:
        return [SourceExperiment(ImportedExperiment(
            experiment_id=str(e["experiment_id"]), name=e["name"],
            lifecycle_stage=e.get("lifecycle_stage", LifecycleStage.ACTIVE.value),
            creation_time=_int(e.get("creation_time")), last_update_time=_int(e.get("last_update_time")),
            tags=_tags(e.get("tags")),
        ), e.get("artifact_location", "")) for e in self._pages(
            "POST", "/experiments/search", {"max_results": PAGE, "view_type": "ALL"}, "experiments")]  # fmt: skip

    def count_runs(self) -> int | None:
        return None  # the REST API has no count; the progress bar learns it as runs arrive

    def runs(self, experiment_id: str) -> Iterator[SourceRun]:
        body = {"experiment_ids": [experiment_id], "run_view_type": "ALL", "max_results": PAGE}
        for r in self._pages("POST", "/runs/search", body, "runs"):
            yield _run(r)

    def metric_points(self, run: SourceRun, chunk_size: int) -> Iterator[list[Metric]]:
        chunk: list[Metric] = []
        for key in run.metric_keys:
            params = {"run_id": run.run.run_id, "metric_key": key, "max_results": HISTORY_PAGE}
            for m in self._pages("GET", "/metrics/get-history", params, "metrics"):
                chunk.append(Metric(key, float(m["value"]), int(m.get("timestamp", 0)), int(m.get("step", 0))))
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    # logged models and the registry --------------------------------------------------------
    def logged_models(self, experiment_id: str) -> list[SourceLoggedModel]:
        body = {"experiment_ids": [experiment_id], "max_results": LOGGED_MODELS_PAGE}
        return [_logged_model(m) for m in self._pages("POST", "/logged-models/search", body, "models")]

    def registered_models(self) -> list[ImportedModel]:
        found = []
        for m in self._pages("GET", "/registered-models/search", {"max_results": PAGE}, "registered_models"):
            name = m["name"]
            quoted = json.dumps(name) if "'" in name else f"'{name}'"
            versions = [_version(v) for v in self._pages(
                "GET", "/model-versions/search", {"filter": f"name={quoted}", "max_results": VERSIONS_PAGE},
                "model_versions")]
            found.append(ImportedModel(
                name=name, creation_timestamp=int(m.get("creation_timestamp", 0)),
                last_updated_timestamp=int(m.get("last_updated_timestamp", m.get("creation_timestamp", 0))),
                description=m.get("description", ""), tags=_tags(m.get("tags")),
                aliases={a["alias"]: int(a["version"]) for a in m.get("aliases", [])},
                versions=versions, last_version=max((v.version for v in versions), default=0),
            ))  # fmt: skip
        return found

    # files ------------------------------------------------------------------------------
    def list_files(self, root: FilesRoot) -> list[SourceFile]:
        found: list[SourceFile] = []
        folders = [""]
        while folders:
            folder = folders.pop()
            for f in self._listing(root, folder):
                # MLflow lists paths from the root, whatever folder was asked for.
                if f.get("is_dir"):
                    folders.append(f["path"])
                else:
                    found.append(SourceFile(f["path"], _int(f.get("file_size"))))
        return sorted(found, key=lambda f: f.path)

    def fetch_file(self, root: FilesRoot, path: str, dest: Path) -> None:
        if root.kind == MODEL_FILES:
            url = f"/ajax-api/2.0/mlflow/logged-models/{root.owner_id}/artifacts/files"
            params = {"artifact_file_path": path}
        else:
            url, params = "/get-artifact", {"run_id": root.owner_id, "path": path}
        with self._errors(), dest.open("wb") as out, self._http.stream("GET", url, params=params) as response:
            if not response.is_success:
                response.read()
                raise self._failure(response, url)
            for chunk in response.iter_bytes(CHUNK):
                out.write(chunk)

    def _listing(self, root: FilesRoot, folder: str) -> list[dict[str, Any]]:
        if root.kind == MODEL_FILES:
            params = {"artifact_directory_path": folder} if folder else {}
            found = self._call("GET", f"/logged-models/{root.owner_id}/artifacts/directories", params=params)
        else:
            found = self._call("GET", "/artifacts/list", params={"run_id": root.owner_id, **({"path": folder}
                                                                                             if folder else {})})
        files: list[dict[str, Any]] = found.get("files", [])
        return files

    # transport ---------------------------------------------------------------------------
    def _pages(self, method: str, path: str, body: dict[str, Any], field: str) -> Iterator[dict[str, Any]]:
        token = None
        while True:
            request = {**body, **({"page_token": token} if token else {})}
            found = self._call(method, path, request if method == "POST" else None,
                               params=request if method == "GET" else None)
            yield from found.get(field, [])
            token = found.get("next_page_token")
            if not token:
                return

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._errors():
            response = self._http.request(method, API + path, json=body, params=params)
        if not response.is_success:
            raise self._failure(response, path)
        try:
            found = response.json()
        except ValueError:
            found = None
        if not isinstance(found, dict):
            raise InvalidParameter(f"{self.label} does not answer MLflow's REST API ({path} gave no JSON object).")
        return found

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:
            raise StoreUnavailable(
                f"Cannot reach the MLflow server at {self.label} ({type(exc).__name__}); is it running?"
            ) from None

    def _failure(self, response: httpx.Response, path: str) -> CairnError:
        try:
            body = response.json()
            return error_from_wire(str(body["error_code"]), f"MLflow server: {body['message']}", response.status_code)
        except (ValueError, KeyError, TypeError):
            return InvalidParameter(f"{self.label} does not answer MLflow's REST API ({path}: HTTP "
                                    f"{response.status_code}).")


def _credentials() -> httpx.Auth | None:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return _Bearer(token)
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    return httpx.BasicAuth(user, password) if user and password else None


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._header
        yield request


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or []}


def _run(r: dict[str, Any]) -> SourceRun:
    info, data = r["info"], r.get("data", {})
    inputs = r.get("inputs", {})
    links = [ModelLink(m["model_id"], "input") for m in inputs.get("model_inputs", [])]
    links += [ModelLink(m["model_id"], "output", int(m.get("step", 0))) for m in r.get("outputs", {}).get(
        "model_outputs", [])]
    datasets = [DatasetInput(Dataset(
        d["dataset"]["name"], d["dataset"]["digest"], d["dataset"].get("source_type", ""),
        d["dataset"].get("source", ""), d["dataset"].get("schema"), d["dataset"].get("profile"),
    ), _tags(d.get("tags"))) for d in inputs.get("dataset_inputs", [])]  # fmt: skip
    run = ImportedRun(
        run_id=info["run_id"], experiment_id=str(info["experiment_id"]), run_name=info.get("run_name", ""),
        user_id=info.get("user_id", ""), status=info.get("status", "FINISHED"), start_time=_int(info.get("start_time")),
        end_time=_int(info.get("end_time")), lifecycle_stage=info.get("lifecycle_stage", LifecycleStage.ACTIVE.value),
        params={p["key"]: p.get("value", "") for p in data.get("params", [])}, tags=_tags(data.get("tags")),
        inputs=datasets, model_links=links,
    )  # fmt: skip
    keys = tuple(sorted({m["key"] for m in data.get("metrics", [])}))
    return SourceRun(run, info.get("artifact_uri", ""), keys)


def _logged_model(m: dict[str, Any]) -> SourceLoggedModel:
    info, data = m["info"], m.get("data", {})
    status = info.get("status", PENDING)
    model = ImportedLoggedModel(
        model_id=info["model_id"], experiment_id=str(info["experiment_id"]), name=info["name"],
        creation_timestamp_ms=int(info.get("creation_timestamp_ms", 0)),
        last_updated_timestamp_ms=int(info.get("last_updated_timestamp_ms", info.get("creation_timestamp_ms", 0))),
        status=status if status in STATUSES else PENDING, model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None, status_message=info.get("status_message") or None,
        tags=_tags(info.get("tags")), params={p["key"]: p.get("value", "") for p in data.get("params", [])},
        metrics=[ModelMetric(x["key"], float(x["value"]), int(x.get("timestamp", 0)), int(x.get("step", 0)),
                             info["model_id"], x.get("run_id"), x.get("dataset_name"), x.get("dataset_digest"))
                 for x in data.get("metrics", [])],
    )  # fmt: skip
    return SourceLoggedModel(model, info.get("artifact_uri", ""))


def _version(v: dict[str, Any]) -> ImportedVersion:
    return ImportedVersion(
        version=int(v["version"]), creation_timestamp=int(v.get("creation_timestamp", 0)),
        last_updated_timestamp=int(v.get("last_updated_timestamp", v.get("creation_timestamp", 0))),
        current_stage=v.get("current_stage", "None"), description=v.get("description", ""),
        source=v.get("source", ""), run_id=v.get("run_id") or None, run_link=v.get("run_link") or None,
        status=v.get("status", "READY"), status_message=v.get("status_message") or None,
        user_id=v.get("user_id", ""), tags=_tags(v.get("tags")),
    )  # fmt: skip
