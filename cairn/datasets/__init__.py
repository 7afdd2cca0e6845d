"""Datasets: content digests, feature schemas, per-feature profiles, drift, and the dataset catalog.

What a run trained on is recorded as a dataset record (``store/datasets.py``): a digest of every
row, where it came from, its schema and its profile. NumPy does the arithmetic (one sort per
numeric column gives percentiles, histogram and extremes); pandas reads tables and counts
categories; pyarrow, when installed, reads Parquet in row batches. NumPy and pandas are the
``data`` extra, so this package imports them only when a function needs them: the catalog and
lineage work on any installation.

    from cairn.datasets import digest_frame, profile_frame, measure_drift
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "digest_frame": "digest", "digest_array": "digest", "digest_file": "digest", "digest_reference": "digest",
    "TableHasher": "digest", "profile_frame": "profile", "schema_of": "schema", "compare_schemas": "schema",
    "measure_drift": "drift", "measure_frame_drift": "drift", "DriftThresholds": "drift", "DriftReport": "drift",
    "prepare_dataset": "sources",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn.datasets' has no attribute '{name}'")
    from importlib import import_module

    return getattr(import_module(f"cairn.datasets.{module}"), name)
