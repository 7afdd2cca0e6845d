"""Feature ranges: what a version expects of each input feature, and which served rows fall outside.

The expectation comes from the profile of the version's training dataset (recorded when its
source run logged the dataset): a numeric feature must lie within the [min, max] seen in training;
a categorical feature must be one of the categories seen, when the profile kept all of them (at
most ``profile.TOP_CATEGORIES`` distinct values; beyond that the full set is unknown and the
feature is not checked). A signature names types only, so a version without a profiled training
dataset has no ranges and nothing is flagged.

``FeatureRanges`` is built once per loaded version; ``check`` runs per request and is vectorised
over a DataFrame's columns. A flag is ``{"feature", "kind", "value", "expected"}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.datasets.catalog import training_dataset
from cairn.datasets.profile import CATEGORICAL, NUMERIC, TOP_CATEGORIES
from cairn.datasets.profile_refs import profile_of
from cairn.entities import Run
from cairn.errors import BadRequest, CairnError

OUT_OF_RANGE, UNSEEN_CATEGORY = "out_of_range", "unseen_category"
FLAG_KINDS = (OUT_OF_RANGE, UNSEEN_CATEGORY)
MAX_CATEGORIES = TOP_CATEGORIES  # a categorical feature is checked only when the profile kept every category
MAX_FLAG_VALUE_CHARS = 200
_SHOWN_CATEGORIES = 10
_LOOP_ROWS = 64  # up to this many rows a plain loop over a categorical column beats NumPy's set-up


@dataclass(frozen=True)
class FeatureRange:
    """One feature's expectation: ``low``/``high`` for a number, ``categories`` for a category."""

    feature: str
    low: float | None = None
    high: float | None = None
    categories: frozenset[str] | None = None

    def expected(self) -> str:
        if self.categories is not None:
            shown = sorted(self.categories)
            more = f", … ({len(shown)} in all)" if len(shown) > _SHOWN_CATEGORIES else ""
            return "one of " + ", ".join(shown[:_SHOWN_CATEGORIES]) + more
        return f"[{self.low:g}, {self.high:g}]"

    def to_dict(self) -> dict[str, Any]:
        if self.categories is not None:
            return {"feature": self.feature, "categories": sorted(self.categories)}
        return {"feature": self.feature, "min": self.low, "max": self.high}


@dataclass(frozen=True)
class FeatureRanges:
    """The expected ranges of one version's features, and where they came from (``source``)."""

    source: str
    ranges: tuple[FeatureRange, ...]

    def check(self, data: Any) -> list[Any] | None:
        """One list of flags per row of ``data`` (a DataFrame), or None when no row is flagged
        (the common case, which allocates nothing per row). Rows without named columns are not
        checked."""
        if not hasattr(data, "columns") or not self.ranges:
            return None
        flagged: dict[int, list[dict[str, Any]]] = {}
        columns = set(data.columns)
        for expected in self.ranges:
            if expected.feature not in columns:
                continue
            column = data[expected.feature]
            for row, value, kind in _outside(column, expected):
                flagged.setdefault(row, []).append({"feature": expected.feature, "kind": kind,
                                                    "value": _plain(value), "expected": expected.expected()})
        if not flagged:
            return None
        rows: list[Any] = [()] * len(data)  # an unflagged row shares one empty tuple (a JSON [])
        for row, row_flags in flagged.items():
            rows[row] = row_flags
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "features": [r.to_dict() for r in self.ranges]}


def ranges_from_profile(profile: Mapping[str, Any], source: str) -> FeatureRanges:
    """The ranges a dataset profile (``datasets.profile``) implies, feature by feature."""
    found: list[FeatureRange] = []
    for name, stats in (profile.get("features") or {}).items():
        if not isinstance(stats, Mapping):
            continue
        if stats.get("type") == NUMERIC and _finite(stats.get("min")) and _finite(stats.get("max")):
            found.append(FeatureRange(str(name), low=float(stats["min"]), high=float(stats["max"])))
        elif (stats.get("type") == CATEGORICAL and stats.get("other_count") == 0 and stats.get("top")
              and len(stats["top"]) <= MAX_CATEGORIES):
            found.append(FeatureRange(str(name), categories=frozenset(str(t["value"]) for t in stats["top"])))
    return FeatureRanges(source, tuple(found))


def ranges_for_run(run: Run) -> FeatureRanges | None:
    """The ranges of the training dataset ``run`` logged (with a profile); None when it logged
    none, several, or one without a profile."""
    try:
        dataset = training_dataset(run)
        profile = profile_of(dataset)
    except CairnError:
        return None
    return ranges_from_profile(profile, f"dataset {dataset.name} @{dataset.digest[:12]} (run {run.run_id[:8]})")


def refusal(flags: Sequence[Sequence[Mapping[str, Any]]]) -> BadRequest:
    """The 400 of ``--strict-ranges``: the first flagged feature, its value and the range expected."""
    for row, row_flags in enumerate(flags):
        for flag in row_flags:
            what = ("is outside the range" if flag["kind"] == OUT_OF_RANGE else "is a category")
            return BadRequest(
                f"Row {row}: feature '{flag['feature']}' = {flag['value']!r} {what} the model was trained on; "
                f"expected {flag['expected']}. This server refuses such rows (--strict-ranges)."
            )
    return BadRequest("A row is outside the ranges the model was trained on.")


def count_flags(rows: Iterable[Any]) -> dict[str, dict[str, int]]:
    """Flags per feature and kind over predictions' ``flags`` lists: {feature: {kind: count}}."""
    counts: dict[str, dict[str, int]] = {}
    for flags in rows:
        for flag in flags or ():
            if isinstance(flag, Mapping):
                per = counts.setdefault(str(flag.get("feature")), {})
                kind = str(flag.get("kind"))
                per[kind] = per.get(kind, 0) + 1
    return counts


def _outside(column: Any, expected: FeatureRange) -> list[tuple[int, Any, str]]:
    """(row, value, kind) for each value of ``column`` outside ``expected``: NumPy comparisons on
    the column's array (pandas' per-call overhead would dominate a one-row request)."""
    import numpy as np

    values = column.to_numpy()
    if expected.categories is not None:
        return [(i, values[i], UNSEEN_CATEGORY) for i in _unseen(column, values, expected.categories)]
    if values.dtype.kind in "iufb":
        numbers = values.astype(np.float64, copy=False)
    else:  # text or mixed values: what reads as a number is checked, the rest is the signature's job
        import pandas as pd

        numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero((numbers < expected.low) | (numbers > expected.high))
    return [(int(i), numbers[i] if values.dtype.kind not in "iub" else values[i], OUT_OF_RANGE) for i in bad]


def _unseen(column: Any, values: Any, categories: frozenset[str]) -> list[int]:
    """Rows whose value (as text, as the profile recorded it) is not among ``categories``."""
    import numpy as np

    if len(values) <= _LOOP_ROWS:
        return [i for i, v in enumerate(values)
                if not _missing(v) and (v if isinstance(v, str) else str(v)) not in categories]
    text = column if values.dtype.kind == "O" and isinstance(values[0], str) else column.astype(str)
    known = text.isin(categories).to_numpy() | column.isna().to_numpy()
    return [int(i) for i in np.flatnonzero(~known)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str) and len(value) > MAX_FLAG_VALUE_CHARS:
        return value[: MAX_FLAG_VALUE_CHARS - 1] + "…"
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
