"""Datasets as first-class records: find them by name, digest, context or source, see which runs
used them, and complete a record's profile.

These functions take the ``Database`` like the tracking domain does, so the embedded client and
the server's routes share them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cairn.entities import Dataset, Run
from cairn.errors import InvalidParameter, NotFound
from cairn.store import datasets as rows
from cairn.store.database import Database
from cairn.store.datasets import DatasetRecord, DatasetUse
from cairn.tracking.validation import MAX_DATASET_DIGEST_LENGTH

CONTEXT_TAG = "mlflow.data.context"
TRAINING = "training"
MAX_RESULTS = 1000
MIN_DIGEST_PREFIX = 6
_HEX = re.compile(r"[0-9a-f]+")


def search_datasets(db: Database, name: str | None = None, digest: str | None = None,
                    context: str | None = None, source: str | None = None,
                    experiment_ids: Sequence[str] | None = None, max_results: int = 100) -> list[DatasetRecord]:
    """Datasets matching every filter given (``digest`` may be a prefix, ``source`` a substring),
    most recently used first. Profiles are not loaded; ``get_dataset`` loads one."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_RESULTS}, got {max_results!r}.")
    if digest is not None and (not digest or len(digest) > MAX_DATASET_DIGEST_LENGTH):
        raise InvalidParameter(f"A digest has 1 to {MAX_DATASET_DIGEST_LENGTH} characters.")
    ids = [str(e) for e in experiment_ids] if experiment_ids is not None else None
    if ids is not None and not all(e.isdigit() for e in ids):
        raise InvalidParameter("Experiment ids are numbers.")
    with db.read() as tx:
        return rows.search_datasets(tx, name=name, digest=digest, context=context, source=source,
                                    experiment_ids=ids, limit=max_results)


def get_dataset(db: Database, ref: str) -> DatasetRecord:
    """The dataset ``ref`` names, with its profile: a digest or digest prefix (6+ characters), a
    name (its most recently used version), or ``NAME@DIGEST_PREFIX``.

    Raises ``NotFound`` when nothing matches and ``InvalidParameter`` when a digest prefix
    matches several datasets.
    """
    found = find_datasets(db, ref)
    if not found:
        raise NotFound(f"No dataset with digest or name '{ref}'. List datasets with `cairn datasets list`.")
    digests = {r.dataset.digest for r in found}
    if len(digests) > 1 and not _is_name_match(found, ref):
        shown = ", ".join(sorted(d[:12] for d in digests)[:5])
        raise InvalidParameter(f"'{ref}' matches several datasets ({shown}); give more of the digest.")
    return found[0]


def find_datasets(db: Database, ref: str) -> list[DatasetRecord]:
    """Every record ``ref`` may name, with profiles, most recently used first: digest matches
    win over names."""
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidParameter("Name a dataset by digest, digest prefix or name.")
    text = ref.strip()
    name, _, prefix = text.rpartition("@") if "@" in text else ("", "", "")
    with db.read() as tx:
        if name and prefix:
            by_version = rows.search_datasets(tx, name=name, digest=prefix.lower(), limit=MAX_RESULTS,
                                              with_profile=True)
            if by_version:
                return by_version
        if len(text) >= MIN_DIGEST_PREFIX and _HEX.fullmatch(text.lower()):
            by_digest = rows.search_datasets(tx, digest=text.lower(), limit=MAX_RESULTS, with_profile=True)
            if by_digest:
                return by_digest
        return rows.search_datasets(tx, name=text, limit=MAX_RESULTS, with_profile=True)


def dataset_uses(db: Database, records: Sequence[DatasetRecord]) -> list[DatasetUse]:
    """Every run's use of these dataset records, oldest run first."""
    with db.read() as tx:
        return rows.uses_of(tx, [r.dataset_id for r in records])


def dataset_runs(db: Database, ref: str) -> list[DatasetUse]:
    """Every run's use of the dataset ``ref`` names, in any experiment, oldest run first."""
    digest = get_dataset(db, ref).dataset.digest
    with db.read() as tx:
        same = [r for r in rows.search_datasets(tx, digest=digest, limit=MAX_RESULTS) if r.dataset.digest == digest]
        return rows.uses_of(tx, [r.dataset_id for r in same])


def attach_profile(db: Database, experiment_id: str, dataset: Dataset) -> bool:
    """Give a stored dataset the schema and profile it lacks (e.g. logged by MLflow's client
    before Cairn profiled it). Returns whether anything was stored."""
    with db.write() as tx:
        return rows.fill_missing_profile(tx, experiment_id, dataset.name, dataset.digest,
                                         dataset.schema, dataset.profile) > 0


def _is_name_match(found: Sequence[DatasetRecord], ref: str) -> bool:
    return all(r.dataset.name == ref.strip() for r in found)


def training_dataset(run: Run) -> Dataset:
    """The dataset a run used in the training context (or its only input).

    Raises ``NotFound`` when the run logged none, ``InvalidParameter`` when several qualify.
    """
    training = [i.dataset for i in run.inputs if i.tags.get(CONTEXT_TAG) == TRAINING]
    candidates = training or ([run.inputs[0].dataset] if len(run.inputs) == 1 else [])
    if len(candidates) == 1:
        return candidates[0]
    if not run.inputs:
        raise NotFound(f"Run {run.run_id} logged no dataset; log one with cairn.log_dataset(df, name).")
    names = ", ".join(sorted({i.dataset.name for i in run.inputs}))
    raise InvalidParameter(f"Run {run.run_id} has several candidate datasets ({names}); name one by digest.")
