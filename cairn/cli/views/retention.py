"""What ``cairn experiments retention`` and ``cairn gc`` print, as plain JSON-ready dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from cairn.entities import GcReport, RetentionEvent, RetentionPolicy


def policy_view(experiment_id: str, name: str, policy: RetentionPolicy | None) -> dict[str, Any]:
    return {"experiment_id": experiment_id, "experiment": name, "policy": asdict(policy) if policy else None}


def gc_view(report: GcReport) -> dict[str, Any]:
    """The report, plus what would go (or went) added up."""
    doc = asdict(report)
    going = [r for r in report.runs if r.deleted_time is not None]
    doc["deleted_files"] = sum(r.files or 0 for r in going)
    doc["deleted_bytes"] = sum(r.bytes or 0 for r in going)
    return doc


def events_view(events: Sequence[RetentionEvent]) -> dict[str, Any]:
    return {"events": [asdict(e) for e in events]}
