"""The dataset half of the REST backend: search, records, uses and lineage through Cairn's
``/api/cairn/v1/`` routes, rebuilt into the same objects the embedded store returns
(``DatasetRecord``, ``DatasetUse``, ``Lineage``). The server's own run diff and drift report
(``RunDiff``, ``DriftReport``) are read here too, though ``Client`` computes both itself."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.entities import Dataset, DatasetInput
from cairn.store.datasets import DatasetRecord, DatasetUse

from .rest_transport import CAIRN, RestTransport, pairs

if TYPE_CHECKING:
    from cairn.registry.lineage import Lineage


class RestDatasets(RestTransport):
    """Mixed into ``RestBackend``."""

    def _dataset_call(self, method: str, path: str, params: dict[str, Any] | None = None,
                      body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._request(method, CAIRN + path, body, params)

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        datasets = []
        for item in inputs:
            ds = item.dataset
            dataset = {"name": ds.name, "digest": ds.digest, "source_type": ds.source_type, "source": ds.source}
            if ds.schema is not None:
                dataset["schema"] = ds.schema
            if ds.profile is not None:
                dataset["profile"] = ds.profile
            datasets.append({"dataset": dataset, "tags": pairs(item.tags)})
        self._call("POST", "/runs/log-inputs", {"run_id": run_id, "datasets": datasets})

    def log_dataset(self, run_id: str, item: DatasetInput) -> None:
        # log-inputs carries the schema and profile; the server stores them with a new record.
        self.log_inputs(run_id, [item])

    def search_datasets(self, name: str | None, digest: str | None, context: str | None, source: str | None,
                        experiment_ids: Sequence[str] | None, max_results: int) -> list[DatasetRecord]:
        params: dict[str, Any] = {"max_results": max_results}
        for key, value in (("name", name), ("digest", digest), ("context", context), ("source", source)):
            if value is not None:
                params[key] = value
        if experiment_ids is not None:
            params["experiment_ids"] = [str(e) for e in experiment_ids]
        found = self._dataset_call("GET", "/datasets/search", params)
        return [_record(r) for r in found.get("datasets", [])]

    def get_dataset(self, ref: str) -> DatasetRecord:
        return _record(self._dataset_call("GET", "/datasets/get", {"ref": ref})["dataset"])

    def list_dataset_runs(self, ref: str) -> list[DatasetUse]:
        found = self._dataset_call("GET", "/datasets/runs", {"ref": ref})
        return [_use(u) for u in found.get("runs", [])]

    def diff_runs_on_server(self, a: str, b: str, curves: bool = True) -> Any:
        """The server's ``RunDiff`` of runs ``a`` and ``b`` (no ``git log``: the server has no checkout)."""
        from cairn.registry.diff import RunDiff

        params = {"a": a, "b": b, "curves": "true" if curves else "false"}
        diff = self._dataset_call("GET", "/runs/diff", params)["diff"]
        return RunDiff(**{**diff, "metrics": _diff_metrics(diff["metrics"])})

    def lineage(self, ref: str) -> Lineage:
        from cairn.registry.lineage import Lineage, LineageEdge, LineageNode

        wire = self._dataset_call("GET", "/lineage", {"ref": ref})["lineage"]
        nodes = {n["id"]: LineageNode(n["id"], n["kind"], n["label"], n.get("attributes") or {})
                 for n in wire.get("nodes", [])}
        edges = [LineageEdge(e["source"], e["target"], e["relation"], e.get("attributes") or {})
                 for e in wire.get("edges", [])]
        return Lineage(list(wire.get("roots", [])), nodes, edges, list(wire.get("notes", [])))

    def drift_on_server(self, baseline: str, current: str) -> Any:
        """The server's ``DriftReport`` of two stored datasets (or runs' training datasets)."""
        from cairn.datasets.drift import DriftReport, DriftThresholds, FeatureDrift

        report = self._dataset_call("POST", "/drift", body={"baseline": baseline, "current": current})["report"]
        features = [FeatureDrift(**f) for f in report.get("features", [])]
        return DriftReport(features, report.get("baseline_rows"), report.get("current_rows"),
                           DriftThresholds(**report.get("thresholds", {})))


def _record(r: dict[str, Any]) -> DatasetRecord:
    d = r["dataset"]
    dataset = Dataset(d["name"], d["digest"], d.get("source_type", ""), d.get("source", ""), d.get("schema"),
                      d.get("profile"))
    last_used = r.get("last_used")
    return DatasetRecord(str(r["dataset_id"]), str(r["experiment_id"]), dataset, int(r.get("run_count", 0)),
                         None if last_used is None else int(last_used), tuple(r.get("contexts", [])))


def _use(u: dict[str, Any]) -> DatasetUse:
    return DatasetUse(**{**u, "tags": dict(u.get("tags") or {})})


# The server writes non-finite floats as proto3 JSON does ("NaN", "Infinity", "-Infinity").
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_ROW_VALUES = ("a", "b", "delta", "relative")
_CURVE_VALUES = ("first", "last", "min", "max")


def _diff_metrics(section: dict[str, Any]) -> dict[str, Any]:
    """A diff's metrics section with the values of its rows and curves read back as floats (only
    the value fields: a metric may well be named "NaN")."""
    for row in section.get("metrics", []):
        _read_floats(row, _ROW_VALUES)
        for side in ("curve_a", "curve_b"):
            if row.get(side):
                _read_floats(row[side], _CURVE_VALUES)
    return section


def _read_floats(item: dict[str, Any], names: Sequence[str]) -> None:
    for name in names:
        value = item.get(name)
        if type(value) is str:
            item[name] = _NON_FINITE.get(value, value)
