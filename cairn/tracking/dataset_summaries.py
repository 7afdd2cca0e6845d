"""Which datasets the runs of some experiments used: the web UI's dataset filter, with MLflow's
limits (``MAX_EXPERIMENTS_PER_REQUEST`` experiments, ``MAX_SUMMARIES`` summaries)."""

from __future__ import annotations

from collections.abc import Sequence

from cairn.errors import InvalidParameter
from cairn.store import datasets as dataset_rows
from cairn.store.database import Database
from cairn.store.datasets import DatasetSummary

from .validation import parse_experiment_id

MAX_EXPERIMENTS_PER_REQUEST = 20
MAX_SUMMARIES = 1000


def search_dataset_summaries(db: Database, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
    """One summary per (experiment, dataset name, digest, context) some run used."""
    if not experiment_ids:
        raise InvalidParameter("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_EXPERIMENTS_PER_REQUEST:
        raise InvalidParameter(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENTS_PER_REQUEST} experiment_ids. "
            f"Received {len(experiment_ids)} experiment_ids."
        )
    keys = [parse_experiment_id(e) for e in experiment_ids]
    with db.read() as tx:
        return dataset_rows.dataset_summaries(tx, keys, MAX_SUMMARIES)
