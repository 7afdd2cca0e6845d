"""The dataset, diff, drift and lineage methods of ``Client``.

``log_dataset`` computes the digest, schema and profile in this process and hands them to the
backend, which records them as the run's input. ``diff_runs`` and ``measure_drift`` read runs,
metric histories, artifacts and model versions through the same ``Client`` calls, and read a
reference by the rules the server's routes use (``cairn.datasets.profile_refs``,
``cairn.registry.refs``). Searching datasets and walking lineage delegate to the backend.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cairn.datasets.catalog import CONTEXT_TAG
from cairn.datasets.profile_refs import resolve_profile
from cairn.entities import Dataset, DatasetInput, Metric, ModelVersion, Run
from cairn.errors import InvalidParameter, NotFound
from cairn.registry.predictions import Prediction, answered_a_caller
from cairn.registry.refs import model_run_id
from cairn.registry.diff import MAX_TEXT_ARTIFACT_BYTES
from cairn.store.datasets import DatasetRecord, DatasetUse

from .backends.base import Backend

_PREDICTIONS = "predictions:"
_SERVED_ROWS = 10_000


class DatasetMethods:
    """Mixed into ``Client``; uses its backend, runs, metric histories and artifacts.

    >>> client = Client()
    >>> ds = client.log_dataset(run_id, train_df, "churn-train", context="training")
    >>> client.diff_runs(run_a, run_b).params["changed"]
    >>> client.lineage(ds.digest).model_versions(stage="Production", context="training")
    """

    _backend: Backend
    flush: Callable[[], None]
    get_run: Callable[[str], Run]
    get_metric_history: Callable[[str, str], list[Metric]]
    resolve_model_version: Callable[[str], ModelVersion]
    search_predictions: Callable[..., list[Prediction]]

    def log_dataset(self, run_id: str, data: Any, name: str, context: str | None = "training",
                    source: str | None = None, *, version: str | None = None,
                    tags: Mapping[str, Any] | None = None, profile: bool = True) -> Dataset:
        """Record ``data`` (DataFrame, NumPy array, Parquet/CSV path or folder, or a URI such as
        ``s3://...`` with an optional ``version``) as an input of the run, in ``context``.

        Returns the recorded ``Dataset``: its ``digest`` is the same for the same rows in any
        process; ``schema`` and ``profile`` are JSON text (None for a URI Cairn cannot read).
        """
        from cairn.datasets.sources import prepare_dataset

        dataset = prepare_dataset(data, name, source=source, version=version, profile=profile)
        input_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        if context:
            input_tags[CONTEXT_TAG] = context
        self._backend.log_dataset(run_id, DatasetInput(dataset, input_tags))
        return dataset

    def search_datasets(self, name: str | None = None, digest: str | None = None, context: str | None = None,
                        source: str | None = None, experiment_ids: Sequence[str] | None = None,
                        max_results: int = 100) -> list[DatasetRecord]:
        """Dataset records (``DatasetRecord``: the dataset, its runs count, contexts and last
        use) matching every filter given; ``digest`` may be a prefix, ``source`` a substring."""
        return self._backend.search_datasets(name, digest, context, source, experiment_ids, max_results)

    def get_dataset(self, ref: str) -> DatasetRecord:
        """The dataset record (with profile) for a digest, digest prefix, name or ``NAME@DIGEST``."""
        return self._backend.get_dataset(ref)

    def list_dataset_runs(self, ref: str) -> list[DatasetUse]:
        """Every run's use of the dataset ``ref`` names (``DatasetUse``: run, context, start time)."""
        return self._backend.list_dataset_runs(ref)

    def diff_runs(self, a: str, b: str, *, repo: str | os.PathLike[str] | None = None,
                  curves: bool = True) -> Any:
        """What changed from run ``a`` to run ``b`` (ids, or ``models:/NAME/VERSION`` for the
        versions' source runs): a ``RunDiff`` with params, metrics, code, data, environment
        and seeds sections. ``repo`` is the git checkout for ``git log A..B`` (default: cwd)."""
        from cairn.registry.diff import diff_runs

        self.flush()
        return diff_runs(_ClientRunReader(self), self._run_id_of(a), self._run_id_of(b), repo=repo, curves=curves)

    def lineage(self, ref: str) -> Any:
        """The ``Lineage`` graph of a dataset (digest, prefix or name), a run id or a model version
        (``models:/NAME/VERSION``): what fed it upstream and what it fed downstream."""
        self.flush()
        return self._backend.lineage(ref)

    def measure_drift(self, baseline: Any, current: Any, thresholds: Any = None) -> Any:
        """A ``DriftReport`` of ``current`` against ``baseline``. Each side is a DataFrame, a
        Parquet/CSV path, a dataset (digest, prefix or name), a run id (its training dataset) or a
        model version (``models:/NAME@alias``: its source run's training dataset) or
        ``predictions:NAME`` (the features of the model's latest served predictions)."""
        from cairn.datasets.drift import measure_drift

        return measure_drift(self.dataset_profile(baseline)[1], self.dataset_profile(current)[1], thresholds)

    def dataset_profile(self, ref: Any) -> tuple[str, dict[str, Any]]:
        """(a label for ``ref``, its profile) for any of the forms ``measure_drift`` takes."""
        import json

        from cairn.datasets.profile import profile_frame

        if not isinstance(ref, (str, os.PathLike)):
            from cairn.datasets.sources import prepare_dataset

            dataset = prepare_dataset(ref, "data")
            return f"{type(ref).__name__} @{dataset.digest[:12]}", json.loads(dataset.profile or "{}")
        text = os.fspath(ref)
        if text.startswith(_PREDICTIONS):
            return self._served_profile(text[len(_PREDICTIONS):])
        if Path(text).exists():
            from cairn.datasets.sources import load_table

            frame = load_table(Path(text))
            if frame is None:
                raise InvalidParameter(f"'{text}' is not a Parquet or CSV table, so it cannot be profiled.")
            return text, profile_frame(frame)
        return resolve_profile(_ClientProfileSources(self), text)

    def _served_profile(self, name: str) -> tuple[str, dict[str, Any]]:
        """The profile of the features ``name`` was asked to predict on, from the prediction log
        (its newest rows answered by a live arm; shadow copies and failures left out)."""
        import pandas as pd

        from cairn.datasets.profile import profile_frame

        served = [p for p in self.search_predictions(name, max_results=_SERVED_ROWS)
                  if answered_a_caller(p) and p.features is not None]
        if not served:
            raise NotFound(f"No served predictions of '{name}' in the prediction log yet.")
        rows = [p.features for p in served]
        frame = pd.DataFrame(rows) if isinstance(rows[0], dict) else pd.DataFrame(
            rows, columns=[f"f{i}" for i in range(len(rows[0]) if isinstance(rows[0], list) else 1)])
        return f"predictions of {name}", profile_frame(frame)

    def _run_id_of(self, ref: str) -> str:
        return model_run_id(ref, self.resolve_model_version) or ref


class _ClientProfileSources:
    """``profile_refs.ProfileSources`` over a ``Client``."""

    def __init__(self, client: DatasetMethods) -> None:
        self._client = client

    def get_run(self, run_id: str) -> Run:
        return self._client.get_run(run_id)

    def get_dataset(self, ref: str) -> DatasetRecord:
        return self._client.get_dataset(ref)

    def model_run_id(self, ref: str) -> str | None:
        return model_run_id(ref, self._client.resolve_model_version)


class _ClientRunReader:
    """``registry.diff.RunReader`` over a ``Client``."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get_run(self, run_id: str) -> Run:
        return self._client.get_run(run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self._client.get_metric_history(run_id, key)

    def read_artifact_text(self, run_id: str, path: str) -> str | None:
        folder = posixpath.dirname(path)
        try:
            listed = self._client.list_artifacts(run_id, folder)
        except NotFound:
            return None
        if not any(f.path == path and not f.is_dir for f in listed):
            return None
        with tempfile.TemporaryDirectory(prefix="cairn-") as tmp:
            local = self._client.download_artifacts(run_id, path, dst_path=tmp)
            with open(local, "rb") as handle:
                return handle.read(MAX_TEXT_ARTIFACT_BYTES).decode("utf-8", errors="replace")
