"""What one capture part found; every part returns one, and ``capture_context`` merges them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CapturedContext:
    """What capture found: run tags to set, artifacts to upload, and notes for a human."""

    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
