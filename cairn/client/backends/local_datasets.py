"""The dataset half of ``LocalBackend``: the catalog (``cairn.datasets.catalog``) and lineage
read straight from the embedded store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cairn.datasets import catalog
from cairn.entities import DatasetInput
from cairn.store.database import Database
from cairn.store.datasets import DatasetRecord, DatasetUse
from cairn.tracking import run_data, runs

if TYPE_CHECKING:
    from cairn.registry.lineage import Lineage


class LocalDatasets:
    """Mixed into ``LocalBackend``."""

    db: Database

    def log_inputs(self, run_id: str, inputs: Sequence[DatasetInput]) -> None:
        run_data.log_inputs(self.db, run_id, inputs)

    def log_dataset(self, run_id: str, item: DatasetInput) -> None:
        self.log_inputs(run_id, [item])
        if item.dataset.profile or item.dataset.schema:
            catalog.attach_profile(self.db, runs.get_run(self.db, run_id).info.experiment_id, item.dataset)

    def search_datasets(self, name: str | None, digest: str | None, context: str | None, source: str | None,
                        experiment_ids: Sequence[str] | None, max_results: int) -> list[DatasetRecord]:
        return catalog.search_datasets(self.db, name, digest, context, source, experiment_ids, max_results)

    def get_dataset(self, ref: str) -> DatasetRecord:
        return catalog.get_dataset(self.db, ref)

    def list_dataset_runs(self, ref: str) -> list[DatasetUse]:
        return catalog.dataset_runs(self.db, ref)

    def lineage(self, ref: str) -> Lineage:
        from cairn.registry.lineage import build_lineage

        return build_lineage(self.db, ref)
