"""The REST backend: the SDK's calls sent to a Cairn server over MLflow's REST API and Cairn's
``/api/cairn/v1/`` routes.

``RestBackend`` holds the tracking half here; the registry, dataset, deployment and import halves
are mixins beside it (``rest_registry``, ``rest_datasets``, ``rest_deployments``,
``rest_imports``) over one shared connection (``rest_transport``). Artifacts go through the
server's proxy routes and stream both ways; a download is written to a temporary file and renamed
into place, so a failed transfer leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cairn.artifacts.paths import clean_relative_path
from cairn.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidParameter, NotFound
from cairn.tracking.locations import store_path_of

from .rest_datasets import RestDatasets
from .rest_deployments import RestDeployments
from .rest_evidence import RestEvidence
from .rest_imports import RestImports
from .rest_registry import RestRegistry
from .rest_retention import RestRetention
from cairn.store.search_grammar import string_literal

from .rest_transport import ARTIFACTS, decode, pairs, tags_of, wire_double

CHUNK_SIZE = 1 << 20


class RestBackend(RestRegistry, RestDatasets, RestDeployments, RestEvidence, RestRetention, RestImports):
    """``Backend`` over HTTP. ``uri`` is the server's base URL, e.g. ``http://127.0.0.1:5000``."""

    # experiments -------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict[str, str] | None = None) -> str:
        body: dict[str, Any] = {"name": name, "tags": pairs(tags or {})}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self._call("POST", "/experiments/create", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self._call("GET", "/experiments/get", params={"experiment_id": experiment_id})
        return _experiment(found["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            found = self._call("GET", "/experiments/get-by-name", params={"experiment_name": name})
        except NotFound:
            return None
        return _experiment(found["experiment"])

    def search_experiments(self, view_type: ViewType, max_results: int, page_token: str | None,
                           name_like: str | None) -> PagedList:
        body: dict[str, Any] = {"view_type": ViewType(view_type).value, "max_results": max_results}
        if page_token:
            body["page_token"] = page_token
        if name_like is not None:
            body["filter"] = f"name ILIKE {string_literal(name_like, 'A name pattern')}"
        found = self._call("POST", "/experiments/search", body)
        return PagedList([_experiment(e) for e in found.get("experiments", [])], found.get("next_page_token"))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._call("POST", "/experiments/update", {"experiment_id": experiment_id, "new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("POST", "/experiments/delete", {"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        self._call("POST", "/experiments/restore", {"experiment_id": experiment_id})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        body = {"experiment_id": experiment_id, "key": key, "value": value}
        self._call("POST", "/experiments/set-experiment-tag", body)

    # runs --------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, user_id: str, start_time: int | None, tags: dict[str, str],
                   run_name: str | None) -> Run:
        body: dict[str, Any] = {"experiment_id": experiment_id, "user_id": user_id, "tags": pairs(tags)}
        if start_time is not None:
            body["start_time"] = start_time
        if run_name:
            body["run_name"] = run_name
        return _run(self._call("POST", "/runs/create", body)["run"])

    def get_run(self, run_id: str) -> Run:
        return _run(self._call("GET", "/runs/get", params={"run_id": run_id})["run"])

    def update_run(self, run_id: str, status: str | None, end_time: int | None, run_name: str | None) -> RunInfo:
        body: dict[str, Any] = {"run_id": run_id}
        if status is not None:
            body["status"] = status
        if end_time is not None:
            body["end_time"] = end_time
        if run_name:
            body["run_name"] = run_name
        return _run_info(self._call("POST", "/runs/update", body)["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._call("POST", "/runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._call("POST", "/runs/restore", {"run_id": run_id})

    def search_runs(self, experiment_ids: Sequence[str], filter_string: str | None, run_view_type: ViewType,
                    max_results: int, order_by: Sequence[str] | None, page_token: str | None) -> PagedList:
        body: dict[str, Any] = {
            "experiment_ids": list(experiment_ids),
            "run_view_type": ViewType(run_view_type).value,
            "max_results": max_results,
            "order_by": list(order_by or ()),
        }
        if filter_string:
            body["filter"] = filter_string
        if page_token:
            body["page_token"] = page_token
        found = self._call("POST", "/runs/search", body)
        return PagedList([_run(r) for r in found.get("runs", [])], found.get("next_page_token"))

    def log_batch(self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param],
                  tags: Sequence[RunTag]) -> None:
        self._call("POST", "/runs/log-batch", {
            "run_id": run_id,
            "metrics": [
                {"key": key, "value": wire_double(value), "timestamp": timestamp, "step": step}
                for key, value, timestamp, step in metrics
            ],
            "params": [{"key": p.key, "value": p.value} for p in params],
            "tags": [{"key": t.key, "value": t.value} for t in tags],
        })  # fmt: skip

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call("POST", "/runs/delete-tag", {"run_id": run_id, "key": key})

    def get_metric_history(self, run_id: str, key: str, max_results: int | None,
                           page_token: str | None) -> PagedList:
        params: dict[str, Any] = {"run_id": run_id, "metric_key": key}
        if max_results is not None:
            params["max_results"] = max_results
        if page_token:
            params["page_token"] = page_token
        found = self._call("GET", "/metrics/get-history", params=params)
        points = [_metric(m) for m in found.get("metrics", [])]
        return PagedList(points, found.get("next_page_token"))

    # artifacts ---------------------------------------------------------------------------
    def upload_artifact(self, artifact_uri: str, local_path: Path, artifact_path: str) -> None:
        location = _location(artifact_uri, artifact_path)
        if not location or location == store_path_of(artifact_uri):
            raise InvalidParameter("artifact_path must name a file inside the run's artifacts.")
        with open(local_path, "rb") as source, self._errors():
            # A file object: httpx sends its size as Content-Length and streams it in chunks.
            response = self._http.put(_artifact_url(location), content=source)
        self._checked(response)

    def list_artifacts(self, artifact_uri: str, path: str) -> list[FileInfo]:
        relative = clean_relative_path(path or "")
        with self._errors():
            response = self._http.get(ARTIFACTS, params={"path": _location(artifact_uri, relative)})
        files = decode(self._checked(response)).get("files", [])
        prefix = f"{relative}/" if relative else ""
        return [FileInfo(prefix + f["path"], bool(f.get("is_dir", False)), _int_or_none(f.get("file_size")))
                for f in files]

    def download_artifacts(self, artifact_uri: str, path: str, dest_dir: Path) -> Path:
        relative = clean_relative_path(path or "")
        entries = self.list_artifacts(artifact_uri, relative)
        if not entries and relative:
            name = relative.rsplit("/", 1)[-1]
            self._download_file(_location(artifact_uri, relative), dest_dir / name)
            return dest_dir / name
        target = dest_dir / relative.rsplit("/", 1)[-1] if relative else dest_dir
        target.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            if entry.is_dir:
                self.download_artifacts(artifact_uri, entry.path, target)
            else:
                self._download_file(_location(artifact_uri, entry.path), target / entry.path.rsplit("/", 1)[-1])
        return target

    def _download_file(self, location: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
        try:
            with os.fdopen(fd, "wb") as out, self._errors():
                with self._http.stream("GET", _artifact_url(location)) as response:
                    self._checked(response)
                    for chunk in response.iter_bytes(CHUNK_SIZE):
                        out.write(chunk)
            os.replace(staged, dest)
        finally:
            Path(staged).unlink(missing_ok=True)



# encoding --------------------------------------------------------------------------------

def _location(artifact_uri: str, path: str) -> str:
    root = store_path_of(artifact_uri)
    relative = clean_relative_path(path or "")
    return f"{root}/{relative}" if relative else root


def _artifact_url(location: str) -> str:
    return f"{ARTIFACTS}/{quote(location, safe='/')}"


# decoding --------------------------------------------------------------------------------

def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _as_float(value: Any) -> float:
    return float(value)  # numbers, NaN/Infinity literals, and "NaN"/"Infinity" strings alike


def _experiment(e: dict[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(e["experiment_id"]),
        name=e["name"],
        artifact_location=e.get("artifact_location", ""),
        lifecycle_stage=e.get("lifecycle_stage", "active"),
        creation_time=_int_or_none(e.get("creation_time")),
        last_update_time=_int_or_none(e.get("last_update_time")),
        tags=tags_of(e.get("tags")),
    )


def _run_info(i: dict[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=i.get("run_id") or i["run_uuid"],
        experiment_id=str(i["experiment_id"]),
        run_name=i.get("run_name", ""),
        user_id=i.get("user_id", ""),
        status=i.get("status", "RUNNING"),
        start_time=_int_or_none(i.get("start_time")),
        end_time=_int_or_none(i.get("end_time")),
        artifact_uri=i.get("artifact_uri", ""),
        lifecycle_stage=i.get("lifecycle_stage", "active"),
    )


def _metric(m: dict[str, Any]) -> Metric:
    return Metric(m["key"], _as_float(m["value"]), int(m.get("timestamp", 0)), int(m.get("step", 0)))


def _run(r: dict[str, Any]) -> Run:
    data = r.get("data", {})
    metrics = [_metric(m) for m in data.get("metrics", [])]
    inputs = [
        DatasetInput(
            Dataset(d["dataset"]["name"], d["dataset"]["digest"], d["dataset"].get("source_type", ""),
                    d["dataset"].get("source", ""), d["dataset"].get("schema"), d["dataset"].get("profile")),
            tags_of(d.get("tags")),
        )
        for d in r.get("inputs", {}).get("dataset_inputs", [])
    ]
    return Run(
        info=_run_info(r["info"]),
        data=RunData(
            metrics={m.key: m for m in metrics},
            params={p["key"]: p.get("value", "") for p in data.get("params", [])},
            tags=tags_of(data.get("tags")),
        ),
        inputs=inputs,
    )
