"""The fluent API: module-level functions that act on the active run, as in MLflow.

The active-run stack is process-wide (not per thread) so that worker threads of a training loop
log into the run the main thread started. Functions only find the active run and call ``Client``.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.entities import Experiment, Run, RunStatus, ViewType
from cairn.entities import ModelVersion
from cairn.errors import AlreadyExists, InvalidParameter
from cairn.tracking.runs import PARENT_RUN_TAG

from . import system_metrics
from .client import Client
from .tracking_uri import get_tracking_uri
from .tracking_uri import set_tracking_uri as _set_uri

ENV_EXPERIMENT_NAME = "CAIRN_EXPERIMENT_NAME"
# Set by `cairn reproduce` and `cairn runs branch`: the run they created for the script to log into.
ENV_RUN_ID = "CAIRN_RUN_ID"
NOTE_TAG = "mlflow.note.content"

_lock = threading.RLock()
_client: Client | None = None
_active_runs: list[ActiveRun] = []
_experiment_id: str | None = None
# Seeds set before any run is active; recorded on the next run started.
_pending_seed_tags: dict[str, str] = {}
# System-metric monitors of active runs, by run id (started by start_run, stopped by _end).
_monitors: dict[str, system_metrics.SystemMetricsMonitor] = {}


class ActiveRun:
    """The run started by ``start_run``; a context manager that ends it (FAILED on an exception)."""

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def info(self):  # type: ignore[no-untyped-def]
        return self._run.info

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def data(self):  # type: ignore[no-untyped-def]
        return _get_client().get_run(self.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        status = RunStatus.FINISHED if exc_type is None else RunStatus.FAILED
        if exc_type is KeyboardInterrupt:
            status = RunStatus.KILLED
        _end(self, status.value, raise_errors=exc_type is None)

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self.run_id} name={self._run.info.run_name!r}>"


def _get_client() -> Client:
    global _client
    with _lock:
        if _client is None:
            _client = Client()
        return _client


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Point the SDK at another store (folder, sqlite:/// URL or http(s) server)."""
    global _client, _experiment_id
    with _lock:
        if _client is not None:
            _client.flush()
        _set_uri(uri)
        _client = None
        _experiment_id = None


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment the default for new runs, creating it by name if needed."""
    global _experiment_id
    client = _get_client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
    elif experiment_name:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            try:
                client.create_experiment(experiment_name)
            except AlreadyExists:
                pass  # another process of the same sweep created it a moment ago: use theirs
            experiment = client.get_experiment_by_name(experiment_name)
            assert experiment is not None
    else:
        raise InvalidParameter("set_experiment needs an experiment_name or an experiment_id.")
    if experiment.lifecycle_stage != "active":
        raise InvalidParameter(
            f"Experiment '{experiment.name}' is deleted; restore it with Client().restore_experiment"
            f"('{experiment.experiment_id}') or choose another name."
        )
    _experiment_id = experiment.experiment_id
    return experiment


def _default_experiment_id() -> str:
    if _experiment_id is not None:
        return _experiment_id
    name = os.environ.get(ENV_EXPERIMENT_NAME)
    if name:
        return set_experiment(name).experiment_id
    return "0"


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    capture: Any = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start (or resume, with ``run_id``) a run and make it active.

    ``capture`` controls reproducibility capture (git, environment, system, command line): a
    ``CaptureOptions``, ``False`` to turn it off, or ``None`` for the ``CAIRN_CAPTURE`` setting.

    With ``CAIRN_RUN_ID`` set (``cairn reproduce`` and ``cairn runs branch`` set it), the first
    top-level run started without ``run_id`` is that run, prepared for this process: it is
    resumed and its context captured here.

    ``log_system_metrics`` samples CPU, memory, disk, network and GPUs into ``system/...``
    metrics while the run is active (``None``: the ``CAIRN_SYSTEM_METRICS`` setting); see
    ``system_metrics``.
    """
    client = _get_client()
    sampling_interval = system_metrics.interval_for(log_system_metrics)  # a bad setting fails before the run starts
    with _lock:
        if _active_runs and not nested:
            raise InvalidParameter(
                f"Run {_active_runs[-1].run_id} is already active. End it with cairn.end_run(), "
                "or start this one with nested=True."
            )
        prepared = os.environ.pop(ENV_RUN_ID, "").strip() if run_id is None and not _active_runs else ""
        if prepared:
            client.update_run(prepared, status=RunStatus.RUNNING.value)
            run = client.get_run(prepared)
            active = ActiveRun(run)
            _record_context(client, run, capture)
            if tags:
                client.set_tags(prepared, {k: str(v) for k, v in tags.items()})
            if _pending_seed_tags:
                client.set_tags(prepared, _pending_seed_tags)
                _pending_seed_tags.clear()
        elif run_id is not None:
            run = client.get_run(run_id)
            if run.info.lifecycle_stage != "active":
                raise InvalidParameter(f"Run {run_id} is deleted; restore it before resuming.")
            client.update_run(run_id, status=RunStatus.RUNNING.value)
            active = ActiveRun(client.get_run(run_id))
        else:
            run_tags = {k: str(v) for k, v in (tags or {}).items()}
            if _active_runs:
                run_tags[PARENT_RUN_TAG] = _active_runs[-1].run_id
            if description:
                run_tags[NOTE_TAG] = description
            exp = str(experiment_id) if experiment_id is not None else _default_experiment_id()
            run = client.create_run(exp, tags=run_tags, run_name=run_name)
            active = ActiveRun(run)
            _record_context(client, run, capture)
            if _pending_seed_tags:
                client.set_tags(run.run_id, _pending_seed_tags)
                _pending_seed_tags.clear()
        _active_runs.append(active)
    if sampling_interval is not None:
        _monitors[active.run_id] = system_metrics.SystemMetricsMonitor(client, active.run_id, sampling_interval).start()
    return active


def _record_context(client: Client, run: Run, capture: Any) -> None:
    if capture is False:
        return
    from .capture import CaptureOptions, capture_context

    options = capture if isinstance(capture, CaptureOptions) else CaptureOptions.from_env()
    context = capture_context(options)
    if context.tags:
        client.set_tags(run.run_id, context.tags)
    for path, content in context.artifacts.items():
        client._log_bytes(run.run_id, content, path)


def end_run(status: str = RunStatus.FINISHED.value) -> None:
    """End the active run: flush its queued metrics, then record its status and end time."""
    with _lock:
        if not _active_runs:
            return
        _end(_active_runs[-1], status, raise_errors=True)


def _end(active: ActiveRun, status: str, raise_errors: bool) -> None:
    client = _get_client()
    with _lock:
        if active in _active_runs:
            _active_runs.remove(active)
        monitor = _monitors.pop(active.run_id, None)
    if monitor is not None:
        monitor.stop()  # joins its thread: no system metric lands after the end time
    try:
        client.flush()
    except Exception:
        status = RunStatus.FAILED.value
        _terminate_quietly(client, active.run_id, status)
        if raise_errors:
            raise
        return
    client.set_terminated(active.run_id, status)


def _terminate_quietly(client: Client, run_id: str, status: str) -> None:
    try:
        client.backend.update_run(run_id, status, None, None)
    except Exception:  # the original error matters more than this one
        pass


def active_run() -> ActiveRun | None:
    return _active_runs[-1] if _active_runs else None


def _run_id() -> str:
    if not _active_runs:
        return start_run().run_id
    return _active_runs[-1].run_id


def log_metric(key: str, value: float, step: int | None = None, timestamp: int | None = None) -> None:
    """Queue a metric point on the active run; costs microseconds, no I/O on this thread."""
    client = _client if _client is not None else _get_client()
    client.log_metric(_active_runs[-1].run_id if _active_runs else _run_id(), key, value, timestamp, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None) -> None:
    run_id = _run_id()
    client = _get_client()
    for key, value in metrics.items():
        client.log_metric(run_id, key, value, timestamp, step)


def log_slice_metrics(y_true: Any, y_pred: Any, by: Any, metrics: Sequence[str] = ("auc",), *,
                      model_version: str | None = None) -> list[Any]:
    """Each metric per slice of ``by`` with the slice's row count, on the active run, or with
    ``model_version="churn/3"`` on that version's source run (where the slice gate reads them).

    >>> cairn.log_slice_metrics(y, scores, by=df[["country"]], metrics=["auc", "recall"])
    """
    client = _get_client()
    if model_version is not None:
        found = client.resolve_model_version(model_version)
        return client.log_version_slice_metrics(found.name, found.version, y_true, y_pred, by, metrics)
    return client.log_slice_metrics(_run_id(), y_true, y_pred, by, metrics)


def log_param(key: str, value: Any) -> Any:
    return _get_client().log_param(_run_id(), key, value)


def log_params(params: Mapping[str, Any]) -> None:
    _get_client().log_params(_run_id(), params)


def set_tag(key: str, value: Any) -> None:
    _get_client().set_tag(_run_id(), key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    _get_client().set_tags(_run_id(), tags)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    _get_client().log_artifact(_run_id(), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    _get_client().log_artifacts(_run_id(), local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    _get_client().log_text(_run_id(), text, artifact_file)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str) -> None:
    _get_client().log_dict(_run_id(), dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str) -> None:
    _get_client().log_figure(_run_id(), figure, artifact_file)


def get_run(run_id: str) -> Run:
    return _get_client().get_run(run_id)


def log_dataset(data: Any, name: str, context: str | None = "training", source: str | None = None, *,
                version: str | None = None, tags: Mapping[str, Any] | None = None) -> Any:
    """Record a dataset (DataFrame, NumPy array, Parquet/CSV path, or URI) as an input of the active
    run, with its content digest, schema and per-feature profile; returns the ``Dataset``."""
    return _get_client().log_dataset(_run_id(), data, name, context, source, version=version, tags=tags)


def seed_everything(seed: int | None = None) -> int:
    """Seed random, NumPy, PyTorch and TensorFlow (those installed) and record it on the active run;
    returns the seed used (``CAIRN_SEED``, when set, wins over ``seed``: ``cairn reproduce`` sets it)."""
    from .capture.seeds import seed_everything as _seed

    seed_tags = _seed(seed)
    if _active_runs:
        _get_client().set_tags(_active_runs[-1].run_id, seed_tags)
    else:
        _pending_seed_tags.update(seed_tags)
    return int(seed_tags["cairn.seed"])



def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs matching a filter: a pandas DataFrame (MLflow's columns) when pandas is installed and
    ``output_format='pandas'``, else a list of ``Run``."""
    client = _get_client()
    ids = [str(e) for e in experiment_ids] if experiment_ids else []
    for name in experiment_names or ():
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise InvalidParameter(f"No experiment named '{name}'.")
        ids.append(experiment.experiment_id)
    if not ids:
        ids = [_default_experiment_id()]
    found: list[Run] = []
    token: str | None = None
    while len(found) < max_results:
        page = client.search_runs(ids, filter_string, run_view_type, min(max_results - len(found), 50_000),
                                  order_by, token)
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            break
    if output_format == "list":
        return found
    from .dataframes import runs_to_dataframe

    return runs_to_dataframe(found)


def register_model(model_uri: str, name: str, *, tags: Mapping[str, Any] | None = None,
                   description: str | None = None) -> ModelVersion:
    """Register the model at ``model_uri`` (e.g. ``runs:/<run_id>/model``) as the next version
    of ``name``, creating the registered model if needed, as ``mlflow.register_model`` does."""
    return _get_client().register_model(model_uri, name, tags=tags, description=description)


def log_model(model: Any, name: str, signature: Any = None, input_example: Any = None,
              pip_requirements: Sequence[str] | str | None = None,
              registered_model_name: str | None = None) -> Any:
    """Package ``model`` in MLflow's layout under the active run's artifact path ``name`` (a
    scikit-learn estimator, an object with ``predict``, or a function), with its signature
    (inferred from ``input_example`` when not given) and pinned requirements; register it when
    ``registered_model_name`` is given. Returns a ``ModelInfo`` whose ``model_uri`` loads it."""
    from .models import log_model as _log_model

    return _log_model(_get_client(), _run_id(), model, name, signature, input_example, pip_requirements,
                      registered_model_name)


def load_model(model_uri: str) -> Any:
    """Load a model package: ``runs:/<run_id>/<path>``, ``models:/name/3``, ``models:/name@alias``,
    ``models:/name/Production`` or a local folder; returns a model whose ``predict`` checks the
    input against the signature."""
    from .models import load_model as _load_model

    return _load_model(model_uri, _get_client())


def log_outcome(prediction_id: str, value: float) -> None:
    """Join what really happened (a label, a conversion) back to a served prediction, by the id the
    serving response gave; a second outcome replaces the first. ``NotFound`` for an unknown id."""
    _get_client().log_outcome(prediction_id, value)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    uri = _get_client().get_run(_run_id()).info.artifact_uri
    return f"{uri}/{artifact_path}" if artifact_path else uri


def flush() -> None:
    if _client is not None:
        _client.flush()


def _end_runs_at_exit() -> None:
    # As MLflow does: runs still active when the interpreter exits are flushed and marked FINISHED.
    while _active_runs:
        try:
            _end(_active_runs[-1], RunStatus.FINISHED.value, raise_errors=False)
        except Exception:
            break
    if _client is not None:
        try:
            _client.flush()
        except Exception as exc:
            import sys

            print(f"cairn: metrics queued at exit could not be stored: {exc}", file=sys.stderr)


atexit.register(_end_runs_at_exit)

__all__ = [
    "ActiveRun", "active_run", "end_run", "flush", "get_artifact_uri", "get_run", "get_tracking_uri",
    "log_artifact", "log_artifacts", "log_dict", "log_figure", "log_metric", "log_metrics", "log_param",
    "log_params", "log_text", "search_runs", "seed_everything", "set_experiment", "set_tag", "set_tags",
    "set_tracking_uri", "start_run",
    "register_model",
    "log_dataset",
    "log_model", "load_model",
]
