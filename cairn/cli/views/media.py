"""What ``cairn runs media`` prints: a run's media per key and step, as a JSON-ready dict.

Each item: ``kind`` (image, figure, table, text), ``key``, ``step`` (images logged with a key),
``timestamp`` (ms since the epoch), ``path`` (the artifact to download) and ``preview`` (an
image's small WebP twin).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.client.media_index import MediaItem


def media_view(run_id: str, items: Sequence[MediaItem], key: str | None) -> dict[str, Any]:
    keys: dict[str, int] = {}
    for item in items:
        keys[item.key] = keys.get(item.key, 0) + 1
    return {
        "run_id": run_id,
        "key": key,
        "keys": [{"key": k, "count": n} for k, n in keys.items()],
        "media": [item.to_dict() for item in items],
    }
