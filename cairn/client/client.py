"""``Client``: the explicit SDK, one method per operation, over a backend (``backends.Backend``:
embedded or a server, chosen by the tracking URI). It only delegates: every rule lives in the
domain packages the backend reaches.

Metric points go through a background ``BatchingLogger`` unless ``synchronous=True``; every read
through the same client flushes pending points first, so a client always reads its own writes.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cairn.entities import (
    DatasetInput,
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from cairn.errors import InvalidParameter
from cairn.tracking.validation import validate_key

from .backends import Backend
from .batching import BatchingLogger
from .dataset_methods import DatasetMethods
from .deployment_methods import DeploymentMethods
from .evidence_methods import EvidenceMethods
from .media import MediaMethods
from .registry_methods import RegistryMethods
from .retention_methods import RetentionMethods
from .tracking_uri import absolute_tracking_uri, backend_for
from .users import default_user

_BATCH_PARAMS_TAGS = 100


class Client(RegistryMethods, DatasetMethods, DeploymentMethods, EvidenceMethods, RetentionMethods, MediaMethods):
    """Explicit access to experiments, runs, metrics and artifacts.

    >>> client = Client()                       # the embedded store in ./.cairn
    >>> run = client.create_run(experiment_id="0")
    >>> client.log_metric(run.run_id, "loss", 0.3, step=1)
    """

    def __init__(self, tracking_uri: str | None = None, *, backend: Backend | None = None) -> None:
        # ``backend``: an open one to read through instead (the web UI hands in a LocalBackend
        # over its server's own store, so its pages ask the questions the CLI asks, the same way).
        self._backend: Backend = backend if backend is not None else backend_for(tracking_uri)
        # Absolute, for a process this client starts in another directory (cairn reproduce).
        self.tracking_uri = absolute_tracking_uri(tracking_uri)
        self._logger = BatchingLogger(self._send_metrics)
        self._known_keys: set[str] = set()
        self._artifact_uris: dict[str, str] = {}

    @property
    def backend(self) -> Backend:
        return self._backend

    # experiments -------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: Mapping[str, str] | None = None) -> str:
        return self._backend.create_experiment(name, artifact_location, dict(tags or {}))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._backend.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._backend.get_experiment_by_name(name)

    def search_experiments(self, view_type: ViewType = ViewType.ACTIVE_ONLY, max_results: int = 1000,
                           page_token: str | None = None, name_like: str | None = None) -> PagedList:
        return self._backend.search_experiments(view_type, max_results, page_token, name_like)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._backend.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self._backend.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self._backend.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._backend.set_experiment_tag(str(experiment_id), key, str(value))

    # runs --------------------------------------------------------------------------------
    def create_run(self, experiment_id: str = "0", start_time: int | None = None,
                   tags: Mapping[str, str] | None = None, run_name: str | None = None,
                   user_id: str | None = None) -> Run:
        run = self._backend.create_run(
            str(experiment_id), user_id if user_id is not None else default_user(), start_time,
            {k: str(v) for k, v in (tags or {}).items()}, run_name,
        )
        self._artifact_uris[run.run_id] = run.info.artifact_uri
        return run

    def get_run(self, run_id: str) -> Run:
        self.flush()
        return self._backend.get_run(run_id)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None,
                   end_time: int | None = None) -> RunInfo:
        return self._backend.update_run(run_id, status, end_time, name)

    def set_terminated(self, run_id: str, status: str = RunStatus.FINISHED.value,
                       end_time: int | None = None) -> RunInfo:
        """Flush the run's pending points, then mark it ended."""
        self.flush()
        return self._backend.update_run(run_id, status, end_time or _now_ms(), None)

    def delete_run(self, run_id: str) -> None:
        self.flush()
        self._backend.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._backend.restore_run(run_id)

    def search_runs(self, experiment_ids: Sequence[str] | str, filter_string: str = "",
                    run_view_type: ViewType = ViewType.ACTIVE_ONLY, max_results: int = 1000,
                    order_by: Sequence[str] | None = None, page_token: str | None = None) -> PagedList:
        self.flush()
        ids = [experiment_ids] if isinstance(experiment_ids, str) else [str(e) for e in experiment_ids]
        return self._backend.search_runs(ids, filter_string or None, run_view_type, max_results,
                                         order_by, page_token)

    # logging -----------------------------------------------------------------------------
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None,
                   step: int | None = None, synchronous: bool = False) -> None:
        """Queue one point (returns in microseconds) or, with ``synchronous``, write it now."""
        if key not in self._known_keys:
            validate_key("metric", key)
            self._known_keys.add(key)
        if type(value) is not float:
            value = _as_number(key, value)
        ts = timestamp if timestamp is not None else time.time_ns() // 1_000_000
        if synchronous:
            self.flush()
            self._backend.log_batch(run_id, [Metric(key, value, ts, step or 0)], (), ())
        else:
            self._logger.log_metric(run_id, key, value, ts, step or 0)

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        self._backend.log_batch(run_id, (), [Param(key, _param_text(value))], ())
        return value

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self._backend.log_batch(run_id, (), (), [RunTag(key, str(value))])

    def delete_tag(self, run_id: str, key: str) -> None:
        self._backend.delete_tag(run_id, key)

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (), params: Sequence[Param] = (),
                  tags: Sequence[RunTag] = ()) -> None:
        """Write metrics, params and tags at once; all or nothing."""
        self.flush()
        self._backend.log_batch(run_id, list(metrics), list(params), list(tags))

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        items = [Param(k, _param_text(v)) for k, v in params.items()]
        for chunk in _chunks(items, _BATCH_PARAMS_TAGS):
            self._backend.log_batch(run_id, (), chunk, ())

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        items = [RunTag(k, str(v)) for k, v in tags.items()]
        for chunk in _chunks(items, _BATCH_PARAMS_TAGS):
            self._backend.log_batch(run_id, (), (), chunk)

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        self._backend.log_inputs(run_id, inputs)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of one metric, ordered by step then timestamp."""
        self.flush()
        points: list[Metric] = []
        token: str | None = None
        while True:
            page = self._backend.get_metric_history(run_id, key, None, token)
            points.extend(page.items)
            token = page.next_page_token
            if not token:
                return points

    def flush(self) -> None:
        """Wait until every queued metric point is stored; raise a failed batch's error."""
        self._logger.flush()

    def close(self) -> None:
        self._logger.close()

    def _send_metrics(self, run_id: str, points: Sequence[Metric]) -> None:
        self._backend.log_batch(run_id, points, (), ())

    # artifacts ---------------------------------------------------------------------------
    def log_artifact(self, run_id: str, local_path: str | os.PathLike[str],
                     artifact_path: str | None = None) -> None:
        src = Path(local_path)
        if not src.is_file():
            raise InvalidParameter(f"'{src}' is not a file; use log_artifacts for a folder.")
        target = f"{artifact_path.strip('/')}/{src.name}" if artifact_path else src.name
        self._backend.upload_artifact(self._artifact_uri(run_id), src, target)

    def log_artifacts(self, run_id: str, local_dir: str | os.PathLike[str],
                      artifact_path: str | None = None) -> None:
        root = Path(local_dir)
        if not root.is_dir():
            raise InvalidParameter(f"'{root}' is not a folder; use log_artifact for a file.")
        uri = self._artifact_uri(run_id)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            target = f"{artifact_path.strip('/')}/{rel}" if artifact_path else rel
            self._backend.upload_artifact(uri, path, target)

    def log_dict(self, run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        if artifact_file.endswith((".yaml", ".yml")):
            try:
                import yaml
            except ImportError:
                raise InvalidParameter("Writing YAML needs PyYAML; install it or use a .json file name.") from None
            data = yaml.safe_dump(dict(dictionary), sort_keys=False).encode()
        else:
            data = json.dumps(dictionary, indent=2, default=str).encode()
        self._log_bytes(run_id, data, artifact_file)

    def list_artifacts(self, run_id: str, path: str = "") -> list[FileInfo]:
        return self._backend.list_artifacts(self._artifact_uri(run_id), path)

    def download_artifacts(self, run_id: str, path: str = "",
                           dst_path: str | os.PathLike[str] | None = None) -> Path:
        dest = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="cairn-"))
        dest.mkdir(parents=True, exist_ok=True)
        return self._backend.download_artifacts(self._artifact_uri(run_id), path, dest)

    def _log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "artifact"
            path.write_bytes(data)
            self._backend.upload_artifact(self._artifact_uri(run_id), path, artifact_file)

    def _artifact_uri(self, run_id: str) -> str:
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            uri = self._artifact_uris[run_id] = self._backend.get_run(run_id).info.artifact_uri
        return uri


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _as_number(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise InvalidParameter(f"Metric '{key}' value must be a number, got bool.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(f"Metric '{key}' value must be a number, got {type(value).__name__}.") from None


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
