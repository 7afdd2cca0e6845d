"""What the ``cairn webhooks`` commands print: webhooks and deliveries as plain dicts."""

from __future__ import annotations

import dataclasses
from typing import Any


def as_dict(value: Any) -> Any:
    """A dataclass (webhook, delivery) as a plain dict for ``--json``."""
    return dataclasses.asdict(value)
