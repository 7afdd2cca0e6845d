"""Per-feature statistics of a table, computed over every row with vectorized NumPy.

Numeric features (integers, floats) get count, nulls, mean, standard deviation (ddof=1, as
pandas), min, max, the percentiles p1 ... p99 and an equal-width histogram, all from one sort of
the column; infinities are counted apart and left out of the statistics. They also keep
``percentiles``: the 101 values p0 ... p100 (linear interpolation, as ``numpy.quantile``), from
which drift is judged later without the data. Categorical features (strings, booleans, category
dtype, other objects) get the distinct count and the most frequent values with their frequencies.
Datetimes get count, nulls, min and max.

A profile is a JSON-ready dict; it keeps MLflow's ``num_rows``/``num_elements`` keys so the
MLflow UI shows the same row count.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .profile_kinds import CATEGORICAL, DATETIME, NUMERIC

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
SKETCH_POINTS = 101
HISTOGRAM_BINS = 20
TOP_CATEGORIES = 20
MAX_CATEGORY_CHARS = 200

if TYPE_CHECKING:
    import numpy as np

# NumPy (like pandas) is imported by the functions that compute: the registry and the `cairn`
# command import this module for its constants, and most commands never profile a table.


def profile_frame(frame: Any, bins: int = HISTOGRAM_BINS, top: int = TOP_CATEGORIES) -> dict[str, Any]:
    """The profile of a DataFrame: row and element counts and one entry per column (by name).

    >>> profile = profile_frame(df)
    >>> profile["features"]["age"]["quantiles"]["p50"]
    """
    rows, cols = frame.shape
    features = {str(frame.columns[i]): profile_series(frame.iloc[:, i], bins, top) for i in range(cols)}
    return {"num_rows": int(rows), "num_elements": int(rows * cols), "features": features}


def profile_series(series: Any, bins: int = HISTOGRAM_BINS, top: int = TOP_CATEGORIES) -> dict[str, Any]:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return _categorical(series, top)
    if pd.api.types.is_numeric_dtype(dtype):
        return _numeric(series, bins)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetime(series)
    return _categorical(series, top)


def _numeric(series: Any, bins: int) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        mask = series.isna().to_numpy()
        values = series.to_numpy(dtype="float64", na_value=np.nan)[~mask]
    else:
        values = series.to_numpy()
        if values.dtype.kind == "f":
            values = values[~np.isnan(values)]
    total = len(series)
    count = len(values)
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    out: dict[str, Any] = {"type": NUMERIC, "dtype": str(series.dtype), "count": count, "nulls": total - count,
                           "null_rate": _rate(total - count, total), "infinite": count - len(finite)}
    if not len(finite):
        out.update(mean=None, std=None, min=None, max=None, quantiles={f"p{p}": None for p in PERCENTILES},
                   histogram={"edges": [], "counts": []}, percentiles=[])
        return out
    ordered = np.sort(finite)
    as_float = ordered.astype("float64", copy=False)
    sketch = quantiles_of_sorted(as_float, np.linspace(0.0, 1.0, SKETCH_POINTS))
    out.update(
        mean=_num(as_float.mean()),
        std=_num(as_float.std(ddof=1)) if len(as_float) > 1 else None,
        min=_num(ordered[0]),
        max=_num(ordered[-1]),
        quantiles={f"p{p}": _num(sketch[p]) for p in PERCENTILES},
        histogram=_histogram(as_float, bins),
        percentiles=[_num(v) for v in sketch],
    )
    return out


def quantiles_of_sorted(ordered: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(values, q)`` (linear method) for values already sorted ascending."""
    import numpy as np

    position = q * (len(ordered) - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(ordered) - 1)
    fraction = position - below
    low, high = ordered[below], ordered[above]
    # NumPy's own lerp: exact at both ends and monotonic between them.
    return np.where(fraction >= 0.5, high - (high - low) * (1 - fraction), low + (high - low) * fraction)


def _histogram(ordered: np.ndarray, bins: int) -> dict[str, list[Any]]:
    import numpy as np

    low, high = float(ordered[0]), float(ordered[-1])
    if low == high:  # as numpy.histogram: one value spreads over [v - 0.5, v + 0.5]
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    cuts = np.searchsorted(ordered, edges[1:-1], side="left")
    counts = np.diff(np.concatenate(([0], cuts, [len(ordered)])))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def _categorical(series: Any, top: int) -> dict[str, Any]:
    total = len(series)
    try:
        counts = series.value_counts(dropna=True, sort=True)
    except TypeError:  # unhashable values such as lists: count their text instead
        counts = series.dropna().map(repr).value_counts(sort=True)
    count = int(counts.sum())
    head = counts.iloc[:top]
    return {
        "type": CATEGORICAL,
        "dtype": str(series.dtype),
        "count": count,
        "nulls": total - count,
        "null_rate": _rate(total - count, total),
        "distinct": int(len(counts)),
        "top": [{"value": _category_text(v), "count": int(c), "frequency": _rate(int(c), count)}
                for v, c in zip(head.index, head.to_numpy())],
        "other_count": int(count - int(head.sum())),
    }


def _datetime(series: Any) -> dict[str, Any]:
    present = series.dropna()
    total, count = len(series), len(present)
    return {
        "type": DATETIME, "dtype": str(series.dtype), "count": count, "nulls": total - count,
        "null_rate": _rate(total - count, total),
        "min": present.min().isoformat() if count else None,
        "max": present.max().isoformat() if count else None,
    }


def _category_text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_CATEGORY_CHARS else text[: MAX_CATEGORY_CHARS - 1] + "…"


def _num(value: Any) -> float | int | None:
    import numpy as np

    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def row_count(profile: dict[str, Any] | None) -> int | None:
    """``num_rows`` of a stored profile (Cairn's or MLflow's), or None when unknown."""
    if not profile:
        return None
    rows = profile.get("num_rows")
    return int(rows) if isinstance(rows, (int, float)) and not isinstance(rows, bool) else None
