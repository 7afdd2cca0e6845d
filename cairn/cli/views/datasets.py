"""What ``cairn datasets list`` and ``cairn datasets show`` print, as plain JSON-ready dicts:
dataset records, and one dataset's schema, profile and the runs that used it.
"""

from __future__ import annotations

import json
from typing import Any


def dataset_row(record: Any) -> dict[str, Any]:
    """One dataset record as ``cairn datasets list`` shows it."""
    d = record.dataset
    return {"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": _json_or_text(d.source),
            "experiment_id": record.experiment_id, "run_count": record.run_count, "last_used": record.last_used,
            "contexts": list(record.contexts)}


def dataset_doc(record: Any, uses: list[Any]) -> dict[str, Any]:
    """``cairn datasets show``: the record, its schema and profile, and every run that used it."""
    return {
        "dataset": dataset_row(record),
        "schema": _json_or_text(record.dataset.schema),
        "profile": _json_or_text(record.dataset.profile),
        "runs": [{"run_id": u.run_id, "run_name": u.run_name, "experiment_id": u.experiment_id,
                  "context": u.context, "start_time": u.start_time, "status": u.status} for u in uses],
    }


def _json_or_text(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
