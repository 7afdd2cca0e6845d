"""What ``cairn import`` prints: the import's summary as one document."""

from __future__ import annotations

from typing import Any

from cairn.importer.summary import Summary


def summary_doc(summary: Summary, source: str, target: str) -> dict[str, Any]:
    """Counts per kind (copied, already there, failed), each failure with its reason, and notes on
    what was copied with an adjustment."""
    return {
        "source": source,
        "target": target,
        "kinds": [
            {"kind": kind, "copied": t.copied, "already_there": t.present, "failed": len(t.failures)}
            for kind, t in summary.tallies.items()
        ],
        "failures": [
            {"kind": kind, "what": what, "reason": why}
            for kind, t in summary.tallies.items() for what, why in t.failures
        ],
        "notes": [{"kind": kind, "what": what, "note": note} for kind, what, note in summary.notes],
    }
