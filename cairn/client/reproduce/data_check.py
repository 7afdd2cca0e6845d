"""Checking a run's data before re-running it: each dataset the run recorded from a file is
re-digested from that file with the digest the run logged it with (``cairn.datasets.digest``) and
compared. A dataset built in code (a DataFrame) has no source to re-read: the re-run logs it again
and the final diff compares the two digests. A reference Cairn does not read (``s3://``, a table)
was digested by its URI and version, so only those are compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cairn.errors import CairnError

from .plan import DatasetPlan

SAME, CHANGED, MISSING, UNCHECKED = "same", "changed", "missing", "unchecked"


class DataChanged(CairnError):
    """A recorded dataset's content differs from what the run used (or its file is gone)."""


@dataclass(frozen=True)
class DataCheck:
    """The outcome for one dataset: ``status`` is same, changed, missing or unchecked."""

    name: str
    context: str | None
    uri: str | None
    recorded: str
    current: str | None
    status: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        where = f" ({self.uri})" if self.uri else ""
        if self.status == MISSING:
            return f"dataset '{self.name}'{where} is gone: recorded digest {self.recorded}"
        return f"dataset '{self.name}'{where} changed: recorded digest {self.recorded}, now {self.current}"


def check_datasets(datasets: list[DatasetPlan]) -> list[DataCheck]:
    """One ``DataCheck`` per recorded dataset."""
    return [_check(dataset) for dataset in datasets]


def refuse_changed(checks: list[DataCheck], run_id: str) -> None:
    """``DataChanged`` naming every dataset that changed or is gone, with both digests."""
    bad = [c for c in checks if c.status in (CHANGED, MISSING)]
    if bad:
        raise DataChanged(f"The data of run {run_id} changed since it ran: " + "; ".join(c.describe() for c in bad)
                          + ". Restore it, or re-run on the new data with --allow-data-change.")


def _check(dataset: DatasetPlan) -> DataCheck:
    def result(status: str, current: str | None = None, note: str | None = None) -> DataCheck:
        return DataCheck(dataset.name, dataset.context, dataset.uri, dataset.digest, current, status, note)

    if dataset.check == "none":
        return result(UNCHECKED, note="built in code: the re-run logs it again and the diff compares the digests")
    if dataset.check == "reference":
        return result(UNCHECKED, note=f"a {dataset.source_type} reference: Cairn recorded its URI and version, "
                                      "not its content")
    path = Path(dataset.uri or "")
    if not path.exists():
        return result(MISSING)
    try:
        from cairn.datasets import digest as digests
        from cairn.datasets.sources import load_table
    except ImportError as exc:
        return result(UNCHECKED, note=f"re-digesting needs {exc.name}, which is not installed")
    current = digests.digest_file(path)
    if current == dataset.digest:
        return result(SAME, current)
    # A frame logged with source=<this file> was digested by its rows, not the file's bytes.
    try:
        table = load_table(path)
    except (OSError, ValueError):
        table = None
    if table is not None and digests.digest_frame(table) == dataset.digest:
        return result(SAME, dataset.digest)
    return result(CHANGED, current)
